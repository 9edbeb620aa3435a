// Times and days as the reader's locale writes them: the hour as the locale prefers ("8:13 PM",
// "20:13"; never padded to "08:13 PM"), and days for the separators: "Today", "Yesterday",
// "Monday 3 June", with the year when it is not this one.

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long' });
const dayWithYearFormat = new Intl.DateTimeFormat(undefined, {
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
});
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });

/** @param {Date} date */
export function formatTime(date) {
  return timeFormat.format(date);
}

/** @param {Date} date */
export function formatFull(date) {
  return fullFormat.format(date);
}

/**
 * The same for every moment of one local day.
 * @param {Date} date
 */
export function dayKey(date) {
  return date.toDateString();
}

/** @param {Date} date */
export function dayLabel(date, now = new Date()) {
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (dayKey(date) === dayKey(now)) return 'Today';
  if (dayKey(date) === dayKey(yesterday)) return 'Yesterday';
  return (date.getFullYear() === now.getFullYear() ? dayFormat : dayWithYearFormat).format(date);
}
