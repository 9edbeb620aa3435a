// Mentions in the page (web/js/mentions.js, web/js/people.js): which `@` the caret completes,
// who matches, inserting `@Name`, which chosen people the text still names at send time, where
// a message's mentions stand in its text; who is offered, read from the people route at most
// once while fresh; and the send carrying `mentions` (clients/js/src/chat-session.js).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ChatSession } from '../../clients/js/src/chat-session.js';
import {
  insertMention,
  MAX_MENTIONS,
  matchPeople,
  mentionedIds,
  mentionQuery,
  mentionRuns,
} from '../../web/js/mentions.js';
import { PEOPLE_FRESH_MS, PEOPLE_RETRY_MS, PeopleDirectory } from '../../web/js/people.js';
import { ALICE, BOB, CAROL, DOCUMENT_ID, FakeApi, FakeClock, FakeDocument, until } from '../clients/js/fakes.mjs';

const EVA = Object.freeze({ id: 'eva', name: 'Éva Nagy' });
const AL = Object.freeze({ id: 'al', name: 'Al' });
const MARY = Object.freeze({ id: 'mary', name: 'Mary Ann' });
const namesOf = (people) => people.map((person) => person.name);

describe('the mention being typed', () => {
  test('runs from an @ at a word start to the caret', () => {
    assert.deepEqual(mentionQuery('hi @Bo', 6), { start: 3, query: 'Bo' });
    assert.deepEqual(mentionQuery('@', 1), { start: 0, query: '' });
    assert.deepEqual(mentionQuery('(@ca', 4), { start: 1, query: 'ca' });
    // Only what is before the caret counts.
    assert.deepEqual(mentionQuery('hi @Bob and more', 5), { start: 3, query: 'B' });
    // A name has spaces: the query may too.
    assert.deepEqual(mentionQuery('ask @Mary A', 11), { start: 4, query: 'Mary A' });
  });

  test('is none inside a word, across a line, after a space, or with no @', () => {
    assert.equal(mentionQuery('mail bob@example', 16), null);
    assert.equal(mentionQuery('hi @Bob\nthere', 13), null);
    assert.equal(mentionQuery('hi @ Bob', 8), null);
    assert.equal(mentionQuery('no mention', 10), null);
    assert.equal(mentionQuery(`@${'x'.repeat(41)}`, 42), null);
  });
});

describe('matching people', () => {
  const people = [CAROL, BOB, ALICE, EVA, AL, MARY];

  test('names starting with the query first, then a later word, ignoring case and accents', () => {
    assert.deepEqual(namesOf(matchPeople(people, 'al')), ['Al', 'Alice']);
    assert.deepEqual(namesOf(matchPeople(people, 'EVA')), ['Éva Nagy']);
    assert.deepEqual(namesOf(matchPeople(people, 'ann')), ['Mary Ann']);
    assert.deepEqual(namesOf(matchPeople(people, 'nagy')), ['Éva Nagy']);
    assert.deepEqual(namesOf(matchPeople(people, 'mary a')), ['Mary Ann']);
    assert.deepEqual(matchPeople(people, 'zed'), []);
  });

  test('an empty query offers everyone, in name order, up to the limit', () => {
    assert.deepEqual(namesOf(matchPeople(people, '')), ['Al', 'Alice', 'Bob', 'Carol', 'Éva Nagy', 'Mary Ann']);
    assert.equal(matchPeople(people, '', 2).length, 2);
  });
});

describe('inserting a mention', () => {
  test('replaces the @ and query with @Name and a space, the caret after it', () => {
    const text = 'hi @bo';
    const inserted = insertMention(text, { start: 3, end: 6 }, 'Bob');
    assert.deepEqual(inserted, { text: 'hi @Bob ', caret: 8 });
  });

  test('keeps the text after the caret, adding no second space', () => {
    const inserted = insertMention('hi @b there', { start: 3, end: 5 }, 'Bob');
    assert.deepEqual(inserted, { text: 'hi @Bob there', caret: 8 });
    const joined = insertMention('@c!', { start: 0, end: 2 }, 'Carol');
    assert.deepEqual(joined, { text: '@Carol !', caret: 7 });
  });
});

describe('the mentions a send carries', () => {
  test('the chosen people whose @Name is still in the text, each once', () => {
    const text = 'hi @Bob and @Carol, @Bob again';
    assert.deepEqual(mentionedIds(text, [BOB, CAROL, BOB]), ['bob', 'carol']);
  });

  test('not one whose @Name was edited away or only stands inside a longer word', () => {
    assert.deepEqual(mentionedIds('hi @Bo and Carol', [BOB, CAROL]), []);
    assert.deepEqual(mentionedIds('hi @Alice', [AL, ALICE]), ['alice']);
    assert.deepEqual(mentionedIds('mail x@Bob.org', [BOB]), []);
    assert.deepEqual(mentionedIds('@Mary Ann, see this', [MARY]), ['mary']);
    assert.deepEqual(mentionedIds('@Mary Annabel', [MARY]), []);
  });

  test('at most as many as the server takes', () => {
    const many = Array.from({ length: MAX_MENTIONS + 5 }, (_, n) => ({ id: `u${n}`, name: `User${n}` }));
    const text = many.map((person) => `@${person.name}`).join(' ');
    assert.deepEqual(mentionedIds(text, many), many.slice(0, MAX_MENTIONS).map((person) => person.id));
  });
});

describe('where mentions stand in a message', () => {
  test('runs of plain text and each @Name of a mentioned person', () => {
    assert.deepEqual(mentionRuns('hi @Bob, see @Carol', [BOB, CAROL]), [
      { text: 'hi ', person: null },
      { text: '@Bob', person: BOB },
      { text: ', see ', person: null },
      { text: '@Carol', person: CAROL },
    ]);
  });

  test('the longer name wins where two start at one @; no run for a name not mentioned', () => {
    assert.deepEqual(mentionRuns('@Alice!', [AL, ALICE]), [
      { text: '@Alice', person: ALICE },
      { text: '!', person: null },
    ]);
    assert.deepEqual(mentionRuns('hi @Bob', [CAROL]), [{ text: 'hi @Bob', person: null }]);
    assert.deepEqual(mentionRuns('', [BOB]), [{ text: '', person: null }]);
  });

  test('markup in the text stays text', () => {
    const runs = mentionRuns('<b>@Bob</b>', [BOB]);
    assert.deepEqual(runs, [
      { text: '<b>', person: null },
      { text: '@Bob', person: BOB },
      { text: '</b>', person: null },
    ]);
  });
});

describe('the people directory', () => {
  function directory(answers) {
    const reads = [];
    let time = 0;
    const people = new PeopleDirectory({
      read: async () => {
        reads.push(time);
        const next = answers.shift();
        if (next instanceof Error) throw next;
        return next;
      },
      now: () => time,
    });
    return { people, reads, advance: (ms) => (time += ms) };
  }

  test('reads the route once while fresh, again after, and keeps the last list on a failure', async () => {
    const { people, reads, advance } = directory([
      { items: [BOB, { id: 'bad' }, CAROL] },
      new Error('offline'),
      { items: [CAROL] },
    ]);
    await Promise.all([people.refresh(), people.refresh()]);
    await people.refresh();
    assert.equal(reads.length, 1);
    assert.deepEqual(people.candidates([], ALICE.id), [BOB, CAROL]);

    advance(PEOPLE_FRESH_MS);
    await people.refresh();
    assert.deepEqual(people.candidates([], ALICE.id), [BOB, CAROL]);
    // A failed read is tried again after a short wait, not at once.
    await people.refresh();
    assert.equal(reads.length, 2);
    advance(PEOPLE_RETRY_MS);
    await people.refresh();
    assert.equal(reads.length, 3);
    assert.deepEqual(people.candidates([], ALICE.id), [CAROL]);
  });

  test('offers the present people and the senders seen too, each once and never the user', async () => {
    const { people } = directory([{ items: [BOB, ALICE] }]);
    await people.refresh();
    assert.deepEqual(people.candidates([ALICE, BOB, EVA], ALICE.id), [BOB, EVA]);
    people.see([MARY, { id: 'nameless', name: '' }]);
    assert.deepEqual(people.candidates([EVA], ALICE.id), [BOB, EVA, MARY]);
    people.see([EVA]);
    assert.equal(people.nameOf('eva'), 'Éva Nagy');
    assert.equal(people.nameOf('bob'), 'Bob');
    assert.equal(people.nameOf('nobody'), undefined);
  });
});

describe('sending with mentions', () => {
  async function liveSession() {
    const document = new FakeDocument();
    const api = new FakeApi(document);
    const session = new ChatSession({
      documentId: DOCUMENT_ID,
      api,
      user: ALICE,
      clock: new FakeClock(),
      onChange: () => {},
      onNotice: () => {},
    });
    await session.sync('connection-1');
    return { session, api, document };
  }

  test('a message and a reply carry their mentions; the stored message has them', async () => {
    const { session, api, document } = await liveSession();
    session.send('hi @Bob', ['bob']);
    await until(() => api.idle && document.messages.length === 1, 'the message is stored');
    session.reply(document.messages[0].id, '@Carol look', ['carol']);
    await until(() => api.idle && document.messages.length === 2, 'the reply is stored');

    const sent = api.callsOf('sendMessage').map(([, message]) => [message.text, message.mentions]);
    assert.deepEqual(sent, [
      ['hi @Bob', ['bob']],
      ['@Carol look', ['carol']],
    ]);
    assert.deepEqual(session.store.get(document.messages[0].id).mentions, ['bob']);
  });
});
