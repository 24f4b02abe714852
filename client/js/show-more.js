// "Show more" on a list that pages: the next page, with how many more it showed read out (or why
// it could not be had). Resolves the page ({items, next_cursor}), or null when none came.
import { get, pagedUrl } from "./api.js";
import { announce } from "./util.js";

export async function nextPage(url, limit, cursor, [one, many]) {
  try {
    const page = await get(pagedUrl(url, limit, cursor));
    announce(`${page.items.length} more ${page.items.length === 1 ? one : many} shown${page.next_cursor ? "" : ": that is all of them"}.`);
    return page;
  } catch (err) {
    announce(err.offline ? "No connection: try again when you have a signal." : err.message);
    return null;
  }
}
