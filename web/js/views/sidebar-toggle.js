// On a narrow screen the settings (dev user, documents) fold away behind a topbar button so
// the chat and its composer keep the whole screen; on a wide one the button is hidden.

/** @param {{app: HTMLElement, toggle: HTMLElement, sidebar: HTMLElement}} parts */
export function createSidebarToggle({ app, toggle, sidebar }) {
  /** @param {boolean} open */
  function setOpen(open) {
    app.dataset.sidebar = open ? 'open' : 'closed';
    toggle.setAttribute('aria-expanded', String(open));
  }

  toggle.addEventListener('click', () => {
    const open = app.dataset.sidebar !== 'open';
    setOpen(open);
    if (open) /** @type {HTMLElement | null} */ (sidebar.querySelector('select, input, a, button'))?.focus();
  });
  sidebar.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || app.dataset.sidebar !== 'open') return;
    setOpen(false);
    toggle.focus();
  });
  setOpen(false);

  return {
    close: () => setOpen(false),
  };
}
