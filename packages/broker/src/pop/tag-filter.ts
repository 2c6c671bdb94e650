import { PopError } from "./pop-error.js";

/** Longest tag expression accepted, characters. */
export const MAX_TAG_EXPRESSION_LENGTH = 4096;

/**
 * A TAG filter expression as RocketMQ parses it (FilterAPI.build): `*` or empty matches every
 * message; otherwise tags separated by `||`, trimmed; a message matches when its TAGS is one of them.
 */
export class TagFilter {
  /** Matches every message. */
  static readonly ALL = new TagFilter(null);
  readonly #tags: ReadonlySet<string> | null;

  private constructor(tags: ReadonlySet<string> | null) {
    this.#tags = tags;
  }

  /**
   * Parses an expression.
   * @throws PopError BAD_ARGUMENT when it is longer than {@link MAX_TAG_EXPRESSION_LENGTH}.
   */
  static parse(expression: string | undefined): TagFilter {
    const text = (expression ?? "").trim();
    if (text.length > MAX_TAG_EXPRESSION_LENGTH) {
      throw new PopError(
        "BAD_ARGUMENT",
        `tag expression longer than ${MAX_TAG_EXPRESSION_LENGTH} characters`,
      );
    }
    if (text === "" || text === "*") return TagFilter.ALL;
    const tags = new Set(
      text
        .split("||")
        .map((tag) => tag.trim())
        .filter((tag) => tag.length > 0),
    );
    return tags.size === 0 ? TagFilter.ALL : new TagFilter(tags);
  }

  /** Whether every message matches. */
  get matchesAll(): boolean {
    return this.#tags === null;
  }

  /** Whether a message with TAGS `tags` matches (a message without tags matches only `*`). */
  matches(tags: string | undefined): boolean {
    if (this.#tags === null) return true;
    return tags !== undefined && this.#tags.has(tags);
  }
}
