// At most three active priority outcomes per person per quarter (PRODUCT.md), in every quarter an
// outcome spans from `starts_on` to `review_by`. The check (rules.priorityClash) follows
// server/domain/outcomes._check_priority_limit so the phone warns before a change the server would
// refuse; the server's check is the authority.
export { MAX_PRIORITY_PER_QUARTER, priorityClash } from "./rules.js";

// "Oct–Dec 2026": a quarter, the British way.
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
export function quarterName(index) {
  const year = Math.floor(index / 4);
  const q = index % 4;
  return `${MONTHS[q * 3]}–${MONTHS[q * 3 + 2]} ${year}`;
}
