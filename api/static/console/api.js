// The console's only way to Fidelio: the session endpoints and the GraphQL API.

let session = null;

export function currentSession() {
  return session;
}

/** The signed-in account ({email, role, csrfToken}) or null. */
export async function loadSession() {
  const response = await fetch("/console/api/session", { credentials: "same-origin" });
  session = response.ok ? await response.json() : null;
  return session;
}

/** Sign in; resolves to {session} or {userErrors}. */
export async function signIn(email, password) {
  const response = await fetch("/console/api/sign-in", {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  const body = await response.json();
  if (!response.ok) return { userErrors: body.userErrors || [] };
  session = body;
  return { session };
}

export async function signOut() {
  if (session) {
    await fetch("/console/api/sign-out", {
      method: "POST",
      credentials: "same-origin",
      headers: { "x-csrf-token": session.csrfToken },
    });
  }
  session = null;
}

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/** Run a GraphQL operation with the session's cookie and CSRF token; returns `data`. */
export async function gql(query, variables = {}) {
  const response = await fetch("/graphql", {
    method: "POST",
    credentials: "same-origin",
    headers: {
      "content-type": "application/json",
      "x-csrf-token": session ? session.csrfToken : "",
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    const code = (first.extensions && first.extensions.code) || "ERROR";
    if (code === "UNAUTHENTICATED" || code === "CSRF_TOKEN_INVALID") {
      session = null;
      window.dispatchEvent(new Event("console:signed-out"));
    }
    throw new ApiError(first.message, code);
  }
  return body.data;
}
