// The JS client as an app installs it: `npm pack` of clients/js (its prepack emits the .d.ts
// files), unpacked into a consumer's node_modules next to the official clients, then a
// TypeScript consumer checked by `tsc --noEmit` (strict, Node's own module resolution, the
// package's `exports` and `types`, no skipLibCheck), as is the JavaScript example of the
// README's "Use docchat from your code", and the package imported by Node.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PACKAGE = join(ROOT, 'clients/js');
const TSC = join(ROOT, 'node_modules/.bin/tsc');

// What an app would write: every part of the API it uses, typed as the package says.
const CONSUMER = `
import * as signalR from '@microsoft/signalr';
import { ApiError, DocchatClient, STATUS, type ClientEvents, type ServerMessage, type ShownMessage } from '@docchat/client';

const client = new DocchatClient({
  baseUrl: 'http://127.0.0.1:7071/api',
  headers: { authorization: 'Bearer token' },
  user: { id: 'alice', name: 'Alice' },
  // An app on SignalR alone: no types of the Web PubSub client are needed.
  libraries: { signalR },
});
const stop: () => void = client.on('notification', (item) => {
  const kind: 'mention' | 'reply' = item.kind;
  console.log(kind, item.documentId, item.excerpt?.length);
});
client.on('typing', ({ documentId, user }) => console.log(documentId, user.name));
client.on('presence', ({ users }) => console.log(users.map((user) => user.id)));
client.on('thread', ({ rootId, message }: ClientEvents['thread']) => console.log(rootId, message.seq));
// @ts-expect-error: no such event
client.on('nothing', () => {});

async function main(): Promise<void> {
  const connectionId: string = await client.connect();
  const session = client.open('launch-plan', { onNotice: (notice) => console.log(notice) });
  session.send('hello @Bob', ['bob']);
  session.reply('m1', 'a reply');
  await session.edit('m1', 'hello again');
  await session.react('m1', '👍', true);
  await session.remove('m1');
  await session.resolve('m1', true);
  await session.openThread('m1');
  const timeline: readonly ShownMessage[] = session.store.ordered;
  const failed = timeline.filter((message) => message.status === STATUS.FAILED);
  const replies: readonly ShownMessage[] = session.store.repliesOf('m1');
  const newest: number | null = session.store.contiguousSeq;
  // @ts-expect-error: seq is a number
  const wrong: string = timeline[0].seq;
  try {
    const page = await client.api.history('launch-plan');
    const items = (page.items ?? []) as ServerMessage[];
    console.log(connectionId, failed.length, replies.length, newest, items.length, wrong);
  } catch (error) {
    if (error instanceof ApiError) console.log(error.code, error.stored, error.status);
  }
  stop();
  await client.stop();
}
void main();
`;

/** The README's JavaScript example: the code block after its "**JavaScript**" paragraph. */
function readmeExample() {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const example = readme.slice(readme.indexOf('**JavaScript**')).match(/```js\n([\s\S]*?)```/);
  assert.ok(example, "the README's JavaScript example");
  return example[1];
}

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    allowJs: true,
    checkJs: true,
    strict: true,
    noEmit: true,
    target: 'ES2022',
    lib: ['ES2022', 'DOM', 'DOM.Iterable'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    types: [],
    skipLibCheck: false,
  },
  files: ['consumer.ts', 'readme-example.mjs'],
};

let consumer;

before(() => {
  const work = mkdtempSync(join(tmpdir(), 'docchat-client-pack-'));
  execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: PACKAGE, stdio: 'pipe' });
  const [tarball] = readdirSync(work).filter((name) => name.endsWith('.tgz'));
  consumer = join(work, 'consumer');
  const installed = join(consumer, 'node_modules/@docchat/client');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', join(work, tarball), '-C', installed, '--strip-components=1']);
  // The consumer's other dependencies: the official clients and what they need, as installed here.
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name === '@docchat' || name.startsWith('.')) continue;
    symlinkSync(join(ROOT, 'node_modules', name), join(consumer, 'node_modules', name));
  }
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG));
  writeFileSync(join(consumer, 'consumer.ts'), CONSUMER);
  writeFileSync(join(consumer, 'readme-example.mjs'), readmeExample());
});

after(() => {
  if (consumer) rmSync(join(consumer, '..'), { recursive: true, force: true });
});

test('the packed package holds its sources, its types and its README, nothing else', () => {
  const installed = join(consumer, 'node_modules/@docchat/client');
  const entries = readdirSync(installed).sort();
  assert.deepEqual(entries, ['README.md', 'package.json', 'src', 'types']);
  assert.ok(readdirSync(join(installed, 'types')).includes('index.d.ts'));
});

test("a TypeScript app's use of the packed package, and the README's example, type-check", () => {
  try {
    execFileSync(TSC, ['--project', join(consumer, 'tsconfig.json')], { cwd: consumer, stdio: 'pipe' });
  } catch (error) {
    assert.fail(`tsc found errors:\n${error.stdout}${error.stderr}`);
  }
});

test('Node imports the packed package by its name', () => {
  const script = "const client = await import('@docchat/client'); console.log(Object.keys(client).sort().join(','));";
  const exported = execFileSync('node', ['--input-type=module', '-e', script], { cwd: consumer }).toString().trim().split(',');
  for (const name of ['DocchatClient', 'ChatSession', 'MessageStore', 'createApi', 'ApiError', 'STATUS']) {
    assert.ok(exported.includes(name), `${name} is exported`);
  }
});
