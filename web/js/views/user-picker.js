// The dev user picker: a preset user or any name typed in, taken on "Switch" (a click or
// Enter), so arrowing through the list never changes who you are on the way.

import { isValidCustomName, PRESET_USERS, userFromName } from '../identity.js';

const CUSTOM = 'custom';

/** @typedef {import('../identity.js').User} User */

/**
 * @param {object} parts
 * @param {HTMLFormElement} parts.form
 * @param {HTMLSelectElement} parts.select
 * @param {HTMLElement} parts.customSection
 * @param {HTMLInputElement} parts.customInput
 * @param {HTMLElement} parts.customHint
 * @param {(user: User) => void} parts.onChange  the user picked, on "Switch"
 */
export function createUserPicker({ form, select, customSection, customInput, customHint, onChange }) {
  const hintText = customHint.textContent;

  select.append(
    ...PRESET_USERS.map((user) => new Option(user.name, user.id)),
    new Option('Someone else…', CUSTOM),
  );

  /** @param {boolean} visible */
  function showCustom(visible) {
    customSection.hidden = !visible;
    if (!visible) setInvalid(false);
  }

  /** @param {boolean} invalid */
  function setInvalid(invalid) {
    customInput.setAttribute('aria-invalid', String(invalid));
    customHint.textContent = invalid ? `Not a usable name. ${hintText}` : hintText;
    customHint.classList.toggle('field-hint-error', invalid);
  }

  select.addEventListener('change', () => showCustom(select.value === CUSTOM));
  // A list box takes Enter as its own otherwise; here Enter means "Switch".
  select.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    form.requestSubmit();
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const preset = PRESET_USERS.find((user) => user.id === select.value);
    if (preset) {
      onChange(preset);
      return;
    }
    if (!isValidCustomName(customInput.value)) {
      setInvalid(true);
      customInput.focus();
      return;
    }
    setInvalid(false);
    onChange(userFromName(customInput.value));
  });

  return {
    /**
     * Reflects the current user in the controls.
     * @param {User} user
     */
    show(user) {
      const preset = PRESET_USERS.find((candidate) => candidate.id === user.id);
      select.value = preset ? preset.id : CUSTOM;
      showCustom(!preset);
      if (!preset) customInput.value = user.name;
    },
  };
}
