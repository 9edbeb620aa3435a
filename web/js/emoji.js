// Emoji in the page, without the DOM: the quick reactions, the larger set the emoji picker
// offers (reactions and the message box), and whether a message's text is only emoji (it
// then shows large).
//
// Every emoji here is one the API takes as a reaction (chat/domain/messages.py
// `emoji_problem`: exactly one emoji of Unicode's emoji data, NFC); tests/unit/test_page_emoji.py
// holds this list to that rule.

/** @typedef {readonly [emoji: string, name: string]} NamedEmoji */

/** The reactions offered first, one tap away. @type {readonly NamedEmoji[]} */
export const QUICK_REACTIONS = Object.freeze([
  ['👍', 'thumbs up'],
  ['❤️', 'heart'],
  ['😂', 'laughing'],
  ['🎉', 'party popper'],
  ['😮', 'surprised'],
  ['👀', 'eyes'],
]);

/** The emoji picker's grid, the quick reactions first. @type {readonly NamedEmoji[]} */
export const PICKER_EMOJI = Object.freeze([
  ...QUICK_REACTIONS,
  ['😀', 'grinning face'],
  ['😄', 'grinning face with smiling eyes'],
  ['😁', 'beaming face'],
  ['😅', 'grinning face with sweat'],
  ['🤣', 'rolling on the floor laughing'],
  ['😊', 'smiling face'],
  ['😉', 'winking face'],
  ['😍', 'heart eyes'],
  ['🥰', 'smiling face with hearts'],
  ['😘', 'face blowing a kiss'],
  ['😎', 'smiling face with sunglasses'],
  ['🤔', 'thinking face'],
  ['🤨', 'raised eyebrow'],
  ['😐', 'neutral face'],
  ['🙄', 'rolling eyes'],
  ['😬', 'grimacing face'],
  ['😴', 'sleeping face'],
  ['🤯', 'exploding head'],
  ['🥳', 'partying face'],
  ['😢', 'crying face'],
  ['😭', 'loudly crying face'],
  ['😱', 'screaming face'],
  ['😡', 'angry face'],
  ['🤗', 'hugging face'],
  ['🙏', 'folded hands'],
  ['👏', 'clapping hands'],
  ['🙌', 'raising hands'],
  ['👋', 'waving hand'],
  ['👌', 'OK hand'],
  ['✌️', 'victory hand'],
  ['🤝', 'handshake'],
  ['💪', 'flexed biceps'],
  ['👎', 'thumbs down'],
  ['👉', 'pointing right'],
  ['🤷', 'shrugging'],
  ['✅', 'check mark'],
  ['❌', 'cross mark'],
  ['❓', 'question mark'],
  ['❗', 'exclamation mark'],
  ['⚠️', 'warning'],
  ['💯', 'hundred points'],
  ['🔥', 'fire'],
  ['✨', 'sparkles'],
  ['⭐', 'star'],
  ['💡', 'light bulb'],
  ['🚀', 'rocket'],
  ['🎯', 'bullseye'],
  ['🏆', 'trophy'],
  ['💔', 'broken heart'],
  ['💙', 'blue heart'],
  ['💚', 'green heart'],
  ['💜', 'purple heart'],
  ['☕', 'hot beverage'],
  ['🍕', 'pizza'],
  ['🐛', 'bug'],
  ['📌', 'pushpin'],
  ['📎', 'paperclip'],
  ['📝', 'memo'],
  ['📅', 'calendar'],
  ['⏰', 'alarm clock'],
  ['🔒', 'locked'],
  ['🌟', 'glowing star'],
]);

/** At most this many emoji, and nothing else, make a message show large. */
export const MAX_JUMBO_EMOJI = 3;

// A grapheme is one emoji when it holds a pictograph, a flag's regional indicators or a
// keycap, and only the code points emoji are made of (so "1" or "#" alone is no emoji).
const EMOJI_PART = /^[\p{Extended_Pictographic}\p{Emoji_Component}\p{Emoji_Modifier}\u200d\ufe0f\u20e3]+$/u;
const EMOJI_CORE = /[\p{Extended_Pictographic}\p{Regional_Indicator}\u20e3]/u;
// Longer text cannot be 1 to 3 emoji (the longest emoji sequences have about 10 code points each).
const MAX_JUMBO_LENGTH = 100;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * How many emoji `text` is, when it is 1 to MAX_JUMBO_EMOJI emoji and whitespace alone; else 0.
 * @param {string} text
 */
export function jumboEmojiCount(text) {
  const trimmed = text.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_JUMBO_LENGTH) return 0;
  let count = 0;
  for (const { segment } of graphemes.segment(trimmed)) {
    if (/^\s+$/u.test(segment)) continue;
    if (!EMOJI_PART.test(segment) || !EMOJI_CORE.test(segment)) return 0;
    count += 1;
    if (count > MAX_JUMBO_EMOJI) return 0;
  }
  return count;
}
