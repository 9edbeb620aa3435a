// The document list's unread counts (web/js/unread-counts.js): read from the API, and counted
// up live as a watched document's new messages arrive.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { UnreadCounts } from '../../web/js/unread-counts.js';

function counts(answers) {
  const asked = [];
  const unread = new UnreadCounts({
    read: async (documentId) => {
      asked.push(documentId);
      return { unread: answers[documentId] };
    },
    onChange: () => {},
  });
  return { unread, asked };
}

test('a message heard live counts one more where the count is known, without asking', async () => {
  const { unread, asked } = counts({ plan: 2 });
  await unread.refresh(['plan']);

  unread.arrived('plan');
  unread.arrived('plan');

  assert.equal(unread.counts.get('plan'), 4);
  assert.deepEqual(asked, ['plan']);
});

test('a message heard for a document whose count is not known yet asks for it', async () => {
  const { unread, asked } = counts({ notes: 7 });

  unread.arrived('notes');
  await new Promise((resolve) => setImmediate(resolve));

  assert.deepEqual(asked, ['notes']);
  assert.equal(unread.counts.get('notes'), 7);
});
