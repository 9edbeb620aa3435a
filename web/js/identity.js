// The local "dev" sign-in: the chosen user travels as the App Service Authentication headers,
// which the app trusts only when it runs with DOCCHAT_AUTH=dev.

const STORAGE_KEY = 'docchat.devUser';

/** @typedef {{id: string, name: string}} User */

export const PRESET_USERS = Object.freeze([
  { id: 'alice', name: 'Alice' },
  { id: 'bob', name: 'Bob' },
  { id: 'carol', name: 'Carol' },
]);

// Header values must be Latin-1, so custom names stay within plain printable characters.
const CUSTOM_NAME = /^[A-Za-z0-9À-ÖØ-öø-ÿ][A-Za-z0-9À-ÖØ-öø-ÿ .'-]{0,39}$/;

/** @param {string} name */
export function isValidCustomName(name) {
  return CUSTOM_NAME.test(name.trim());
}

/**
 * A preset user when the name matches one, else a user whose id is derived from the name.
 * @param {string} name
 * @returns {User}
 */
export function userFromName(name) {
  const trimmed = name.trim().replace(/\s+/g, ' ');
  const preset = PRESET_USERS.find((user) => user.name.toLowerCase() === trimmed.toLowerCase());
  if (preset) return preset;
  const slug = trimmed
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return { id: `dev-${slug || 'user'}`, name: trimmed };
}

/** @returns {User} */
export function loadUser() {
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null');
    if (stored && typeof stored.id === 'string' && isValidCustomName(stored.name ?? '')) {
      return { id: stored.id, name: stored.name };
    }
  } catch {
    // Unreadable or blocked storage: fall back to the first preset.
  }
  return PRESET_USERS[0];
}

/** @param {User} user */
export function saveUser(user) {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(user));
  } catch {
    // Private modes may refuse storage; the choice then lasts for this page only.
  }
}

/** @param {User} user */
export function identityHeaders(user) {
  return {
    'x-ms-client-principal-id': user.id,
    'x-ms-client-principal-name': user.name,
  };
}
