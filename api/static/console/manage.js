// The management pages' routes: #/campaigns[/new|/<code>[/edit]], #/segments[/<code>|/new],
// #/stores[/<code>|/new], #/promotions[/<code>|/new], #/audit, #/translations[/<kind>[/<code>]],
// #/program[/<tab>[/<code>]].
import { renderAudit } from "./audit.js";
import { renderCampaign, renderCampaigns, renderComposer } from "./campaigns.js";
import { renderProgram } from "./program.js";
import { renderSegments } from "./segments.js";
import { renderPromotions, renderStores } from "./stores.js";
import { renderTranslations } from "./translations.js";

/** Render the page of `page` (the hash's first part) and `rest`; false when it is not ours. */
export async function renderManaged(main, page, rest) {
  const [first, second] = rest.map(decodeURIComponent);
  if (page === "campaigns") {
    if (first === "new") await renderComposer(main, null);
    else if (first && second === "edit") await renderComposer(main, first);
    else if (first) await renderCampaign(main, first);
    else await renderCampaigns(main);
  } else if (page === "segments") await renderSegments(main, first || null);
  else if (page === "stores") await renderStores(main, first || null);
  else if (page === "promotions") {
    await renderPromotions(main, first || null);
    document.querySelector('[data-nav="stores"]')?.setAttribute("aria-current", "page");
  }
  else if (page === "audit") await renderAudit(main);
  else if (page === "program") return renderProgram(main, first || null, second || null);
  else if (page === "translations") await renderTranslations(main, first || null, second || null);
  else return false;
  return true;
}
