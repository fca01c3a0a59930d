/** What the matcher sees of a feed item. All fields are plain text (no HTML). */
export interface MatchableItem {
  title: string;
  /** plain text */
  summary: string;
  categories: string[];
  /** feed title or site */
  source: string;
  author: string;
}
