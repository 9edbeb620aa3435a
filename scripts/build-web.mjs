// Fills web/ with what the page loads besides its own files, so that the deployment package
// (and the app's web_page function, locally too) has everything: `node scripts/build-web.mjs`.
//   web/vendor/signalr.min.js          the official SignalR client's browser build
//   web/vendor/web-pubsub-client.js    the official Web PubSub client, bundled for browsers
//   web/lib/docchat-client/            docchat's JS client (clients/js/src), as the import map names it
// Both folders are git-ignored. azd runs this before packaging (azure.yaml, prepackage), and
// the local stack before it starts the app (devstack/stack.py), so edits to clients/js/src
// reach the page on the next start. Each file is written whole and then renamed into place,
// so a stack starting meanwhile never reads half a file.

import { copyFile, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vendor = join(root, 'web', 'vendor');
const library = join(root, 'web', 'lib', 'docchat-client');
const clientSources = join(root, 'clients', 'js', 'src');

/** Writes `bytes` to `target` through a temporary file beside it. */
async function place(target, write) {
  await mkdir(dirname(target), { recursive: true });
  const temporary = `${target}.${process.pid}.tmp`;
  await write(temporary);
  await rename(temporary, target);
}

/** The .js files below `folder`, as paths relative to it. */
async function scripts(folder) {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.js'))
    .map((entry) => relative(folder, join(entry.parentPath ?? entry.path, entry.name)));
}

async function bundleWebPubSub() {
  const { outputFiles } = await build({
    entryPoints: ['@azure/web-pubsub-client'],
    absWorkingDir: root,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    logLevel: 'warning',
    write: false,
  });
  await place(join(vendor, 'web-pubsub-client.js'), (temporary) => writeFile(temporary, outputFiles[0].contents));
}

async function copySignalR() {
  const source = join(root, 'node_modules', '@microsoft', 'signalr', 'dist', 'browser', 'signalr.min.js');
  await place(join(vendor, 'signalr.min.js'), (temporary) => copyFile(source, temporary));
}

// The client's sources as they are now: files gone from clients/js/src go from the copy too.
async function copyClient() {
  const wanted = await scripts(clientSources);
  await mkdir(library, { recursive: true });
  const stale = (await scripts(library)).filter((file) => !wanted.includes(file));
  await Promise.all(stale.map((file) => rm(join(library, file))));
  await Promise.all(
    wanted.map((file) => place(join(library, file), (temporary) => copyFile(join(clientSources, file), temporary))),
  );
}

await Promise.all([bundleWebPubSub(), copySignalR(), copyClient()]);
