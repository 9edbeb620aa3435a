// Counts in words: "1 character", "2 characters".

/**
 * @param {number} count
 * @param {string} singular
 */
export function countOf(count, singular, plural = `${singular}s`) {
  return `${count} ${count === 1 ? singular : plural}`;
}
