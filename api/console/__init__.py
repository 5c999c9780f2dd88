"""The loyalty manager's console: an entry point beside `/graphql`.

Console accounts and their sign-in sessions (`models`, `accounts`, `passwords`), the HTTP
routes that sign in and out and serve the page (`routes`), and what a cookie-authenticated
GraphQL request must carry (`sessions`). The page itself (`api/static/console/`) talks to
Fidelio only through the GraphQL API, like every other caller.
"""
