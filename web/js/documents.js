// Which document is open: a few sample documents, any other by id, and the URL hash
// (#doc=<id>) as the single source of truth so a reload or a shared link opens the same one.

export const SAMPLE_DOCUMENTS = Object.freeze([
  { id: 'launch-plan', title: 'Launch plan', description: 'Timeline, owners and risks' },
  { id: 'design-review', title: 'Design review', description: 'Open questions on the new editor' },
  { id: 'onboarding-guide', title: 'Onboarding guide', description: 'First week for new joiners' },
]);

// Safe in a URL path segment and as a Cosmos DB partition key value.
const DOCUMENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function isValidDocumentId(id) {
  return DOCUMENT_ID.test(id);
}

export function documentTitle(id) {
  return SAMPLE_DOCUMENTS.find((doc) => doc.id === id)?.title ?? id;
}

export function documentFromHash(hash = window.location.hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const id = params.get('doc');
  return id && isValidDocumentId(id) ? id : null;
}

export function documentHash(id) {
  return `#${new URLSearchParams({ doc: id })}`;
}
