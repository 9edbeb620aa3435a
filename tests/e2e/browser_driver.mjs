// Drives headless Chromium for the e2e tests, one command per line.
//
// The pytest side owns the scenario (it also has to stop and start the SignalR emulator
// in the middle of one), so this process only does browser work: it reads JSON commands
// {"id", "op", "args"} on stdin and answers each with one JSON line
// {"id", "ok": true, "result"} or {"id", "ok": false, "error"} on stdout.
// Every wait is on a page condition with a timeout; none sleeps.
//
// Environment: DOCCHAT_BASE_URL (the dev host), DOCCHAT_CHROMIUM (the browser executable).

import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const AXE_SCRIPT = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
// Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
// govern (an added <script> element would be an inline script, which it refuses).
const AXE_SOURCE = readFileSync(AXE_SCRIPT, 'utf8');
// What the accessibility checks fail on: axe-core's two worst impacts.
const BLOCKING_IMPACTS = new Set(['serious', 'critical']);

const BASE_URL = process.env.DOCCHAT_BASE_URL;
const WAIT_MS = Number(process.env.DOCCHAT_E2E_WAIT_MS ?? 30000);
const RECORD_SEPARATOR = '\u001e';
const INVOCATION = 1;

const browser = await chromium.launch({
  executablePath: process.env.DOCCHAT_CHROMIUM,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

// name -> { context, page, received, sent, frames, pageErrors, closed }
const pages = new Map();

function tab(name) {
  const found = pages.get(name);
  if (!found) throw new Error(`no page named ${name}`);
  return found;
}

/**
 * The invocations in one WebSocket payload, as SignalR's {target, arguments}: SignalR hub
 * messages, or Web PubSub's JSON subprotocol messages (a server event {event, data} arrives
 * as a message's data; the page's typing goes as the user event with data {documentId}).
 */
function invocations(payload) {
  const found = [];
  for (const frame of String(payload).split(RECORD_SEPARATOR)) {
    if (!frame) continue;
    try {
      const parsed = JSON.parse(frame);
      if (parsed.type === INVOCATION) {
        found.push(parsed);
      } else if (parsed.type === 'message' && typeof parsed.data?.event === 'string') {
        found.push({ target: parsed.data.event, arguments: [parsed.data.data] });
      } else if (parsed.type === 'event' && typeof parsed.event === 'string') {
        found.push({ target: parsed.event, arguments: [parsed.data?.documentId] });
      }
    } catch {
      // Not a JSON hub message: nothing the scenarios ask about.
    }
  }
  return found;
}

/**
 * Records the invocations over the page's SignalR or Web PubSub WebSockets, both ways, with
 * when they passed (this process's clock), to prove what was (not) delivered, and how soon.
 */
function recordLiveEvents(page, entry) {
  const record = (list) => ({ payload }) => {
    for (const { target, arguments: args } of invocations(payload)) {
      list.push({ target, arguments: args, at: Date.now() });
      entry.frames.emit('frame');
    }
  };
  page.on('websocket', (socket) => {
    socket.on('framereceived', record(entry.received));
    socket.on('framesent', record(entry.sent));
  });
}

/** Records the page's finished API calls: {method, path, body, status}. */
function recordApiCalls(page, entry) {
  page.on('requestfinished', async (request) => {
    const { pathname } = new URL(request.url());
    if (!pathname.startsWith('/api/')) return;
    // A page closed meanwhile rejects this, and a rejection no one handles ends the driver
    // (and every test after it): such a call is not recorded.
    const response = await request.response().catch(() => undefined);
    if (response === undefined) return;
    entry.apiCalls.push({ method: request.method(), path: pathname, body: request.postData(), status: response?.status() });
    entry.frames.emit('frame');
  });
}

function eventsFor(list, target) {
  return list.filter((event) => event.target === target);
}

/** Waits until `done()` holds, checking after every recorded frame. */
function untilFrames(entry, what, done) {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!done()) return;
      clearTimeout(timer);
      entry.frames.off('frame', check);
      resolve();
    };
    const timer = setTimeout(() => {
      entry.frames.off('frame', check);
      reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`));
    }, WAIT_MS);
    entry.frames.on('frame', check);
    check();
  });
}

function readPresence(page) {
  return page.$$eval('[data-testid=presence-user]', (items) =>
    items.map((item) => ({ id: item.dataset.userId, label: item.title })),
  );
}

async function snapshot(page) {
  return page.evaluate(() => ({
    connection: document.querySelector('[data-testid=connection-state]')?.dataset.state,
    sync: document.querySelector('[data-testid=chat]')?.dataset.sync,
    documentTitle: document.querySelector('[data-testid=document-title]')?.textContent,
    user: document.querySelector('#current-user-name')?.textContent,
    notice: document.querySelector('[data-testid=notice]')?.hidden
      ? null
      : document.querySelector('[data-testid=notice]')?.textContent.trim(),
    hash: window.location.hash,
    loadOlderShown: !document.querySelector('[data-testid=load-older]').hidden,
  }));
}

function readMessages(page) {
  return page.$$eval('[data-testid=message]', (items) =>
    items.map((item) => ({
      id: item.dataset.id,
      edited: item.dataset.edited === 'true',
      deleted: item.dataset.deleted === 'true',
      reactions: [...item.querySelectorAll('[data-testid=reaction]')].map((chip) => ({
        emoji: chip.dataset.react,
        count: Number(chip.querySelector('.reaction-count').textContent),
        mine: chip.getAttribute('aria-pressed') === 'true',
      })),
      links: [...item.querySelectorAll('[data-testid=message-text] a')].map((link) => ({
        href: link.getAttribute('href'),
        text: link.textContent,
        target: link.target,
        rel: link.rel,
      })),
      actions: [...item.querySelectorAll('.message-actions button')].map((button) => button.getAttribute('aria-label')),
      senderId: item.dataset.senderId,
      sender: item.querySelector('[data-testid=message-sender]').textContent,
      text: item.querySelector('[data-testid=message-text]').textContent,
      status: item.dataset.status,
      seq: item.dataset.seq === undefined ? null : Number(item.dataset.seq),
      createdAt: item.dataset.createdAt,
      own: item.classList.contains('message-own'),
    })),
  );
}

/** Waits for `predicate(args)` in the page; on timeout says what the page showed instead. */
async function waitInPage(page, what, predicate, args) {
  try {
    await page.waitForFunction(predicate, args, { timeout: WAIT_MS });
  } catch (error) {
    if (error.name !== 'TimeoutError') throw error;
    const shown = { ...(await snapshot(page)), messages: (await readMessages(page)).map((m) => m.text) };
    throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}; page shows ${JSON.stringify(shown)}`);
  }
}

function waitForTexts(page, texts) {
  return waitInPage(
    page,
    `messages ${JSON.stringify(texts)}`,
    (wanted) => {
      const shown = new Set(
        [...document.querySelectorAll('[data-testid=message-text]')].map((node) => node.textContent),
      );
      return wanted.every((text) => shown.has(text));
    },
    texts,
  );
}

/** Waits until the page has started (web/js/boot.js marks the root once it shows the chat
 * or the sign-in), which comes after the load event: it first asks how users sign in. A
 * selector, not an evaluation, so it works under the page's Content-Security-Policy. */
async function started(scope) {
  await scope.waitForSelector('html[data-started]', { state: 'attached', timeout: WAIT_MS });
}

/** axe-core's serious and critical violations in a page or a frame as it is now. */
async function axeViolations(scope) {
  await scope.evaluate(AXE_SOURCE);
  const { violations } = await scope.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return violations
    .filter((violation) => BLOCKING_IMPACTS.has(violation.impact))
    .map(({ id, impact, help, nodes }) => ({ id, impact, help, targets: nodes.map((node) => node.target.join(' ')) }));
}

/** The frame of the page's `iframe` element `selector`, once it has loaded. */
async function frameOf(name, selector) {
  const element = await tab(name).page.waitForSelector(selector, { timeout: WAIT_MS });
  const frame = await element.contentFrame();
  if (!frame) throw new Error(`${selector} has no frame`);
  return frame;
}

/** On a phone the settings fold away behind a button: opens them if they are folded. */
async function showSettings(page) {
  const toggle = page.getByTestId('sidebar-toggle');
  if ((await toggle.isVisible()) && (await toggle.getAttribute('aria-expanded')) === 'false') await toggle.click();
}

/**
 * Types `text` into the composer of `scope` (a page or a frame), sends it with Enter, and
 * waits until the server has confirmed it.
 * @param {import('playwright-core').Page | import('playwright-core').Frame} scope
 * @param {string} text
 */
async function sendConfirmed(scope, text) {
  const box = scope.getByTestId('composer-input');
  await box.fill(text);
  await box.press('Enter');
  await waitInPage(
    scope,
    `confirmation of ${JSON.stringify(text)}`,
    (wanted) =>
      [...document.querySelectorAll('[data-testid=message]')].some(
        (item) =>
          item.dataset.status === 'sent' &&
          item.querySelector('[data-testid=message-text]').textContent === wanted,
      ),
    text,
  );
}

const operations = {
  async newPage({ page: name, width, height, colorScheme, touch = false, enforceCsp = false }) {
    // A touch screen (a phone's): `pointer: coarse` and `hover: none`, touch events.
    // The tests' waits evaluate strings in the page, which its Content-Security-Policy refuses
    // (no 'unsafe-eval'): the policy is bypassed unless a test asks for it (and then waits on
    // selectors only, and reads the violations the browser reports).
    const context = await browser.newContext({
      baseURL: BASE_URL,
      viewport: { width, height },
      colorScheme,
      hasTouch: touch,
      bypassCSP: !enforceCsp,
    });
    const page = await context.newPage();
    const entry = {
      context,
      page,
      received: [],
      sent: [],
      apiCalls: [],
      frames: new EventEmitter(),
      pageErrors: [],
      closed: false,
    };
    page.on('pageerror', (error) => entry.pageErrors.push(String(error)));
    entry.cspViolations = [];
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) entry.cspViolations.push(message.text());
    });
    recordLiveEvents(page, entry);
    recordApiCalls(page, entry);
    pages.set(name, entry);
  },

  async goto({ page: name, hash = '' }) {
    await tab(name).page.goto(`/${hash}`);
    await started(tab(name).page);
  },

  async reload({ page: name }) {
    await tab(name).page.reload();
    await started(tab(name).page);
  },

  async chooseUser({ page: name, user }) {
    const { page } = tab(name);
    await showSettings(page);
    const presets = await page.$$eval('[data-testid=user-select] option', (options) =>
      options.filter((option) => option.value !== 'custom').map((option) => option.textContent),
    );
    if (presets.includes(user)) {
      await page.getByTestId('user-select').selectOption({ label: user });
    } else {
      await page.getByTestId('user-select').selectOption('custom');
      await page.getByTestId('custom-user-name').fill(user);
    }
    await page.getByTestId('user-apply').click();
    await waitInPage(page, `user ${user}`, (wanted) => document.querySelector('#current-user-name').textContent === wanted, user);
  },

  async openDocument({ page: name, documentId, via }) {
    const { page } = tab(name);
    await showSettings(page);
    if (via === 'link') {
      await page.getByTestId(`document-link-${documentId}`).click();
    } else {
      await page.getByTestId('document-id-input').fill(documentId);
      await page.getByTestId('document-id-input').press('Enter');
    }
    await waitInPage(page, `document ${documentId} in the URL`, (id) => new URLSearchParams(window.location.hash.slice(1)).get('doc') === id, documentId);
  },

  /** Connected, joined to the open document and caught up. */
  async waitLive({ page: name }) {
    await waitInPage(
      tab(name).page,
      'a live, synced document',
      () =>
        document.querySelector('[data-testid=connection-state]').dataset.state === 'connected' &&
        document.querySelector('[data-testid=chat]').dataset.sync === 'live',
    );
  },

  async waitForConnection({ page: name, states }) {
    await waitInPage(
      tab(name).page,
      `connection state in ${JSON.stringify(states)}`,
      (wanted) => wanted.includes(document.querySelector('[data-testid=connection-state]').dataset.state),
      states,
    );
  },

  /** Types and sends a message with Enter; resolves once the server has confirmed it. */
  async send({ page: name, text }) {
    await sendConfirmed(tab(name).page, text);
  },

  /** Types and sends a message with Enter, without waiting for the server. */
  async submit({ page: name, text }) {
    const box = tab(name).page.getByTestId('composer-input');
    await box.fill(text);
    await box.press('Enter');
  },

  async waitForStatus({ page: name, text, status }) {
    await waitInPage(
      tab(name).page,
      `${JSON.stringify(text)} with status ${status}`,
      ([wanted, wantedStatus]) =>
        [...document.querySelectorAll('[data-testid=message]')].some(
          (item) =>
            item.dataset.status === wantedStatus &&
            item.querySelector('[data-testid=message-text]').textContent === wanted,
        ),
      [text, status],
    );
  },

  /** Exactly `count` messages shown, each one the server's copy. */
  async waitForSentCount({ page: name, count }) {
    await waitInPage(
      tab(name).page,
      `${count} sent messages`,
      (wanted) => {
        const items = [...document.querySelectorAll('[data-testid=message]')];
        return items.length === wanted && items.every((item) => item.dataset.status === 'sent');
      },
      count,
    );
  },

  async waitForTexts({ page: name, texts }) {
    await waitForTexts(tab(name).page, texts);
  },

  async waitForMessageCount({ page: name, count }) {
    await waitInPage(
      tab(name).page,
      `${count} messages`,
      (wanted) => document.querySelectorAll('[data-testid=message]').length === wanted,
      count,
    );
  },

  async click({ page: name, testId }) {
    await tab(name).page.getByTestId(testId).click();
  },

  /** Clicks what `selector` finds in the message with this id (hovering it first, as a person does). */
  async clickInMessage({ page: name, messageId, selector }) {
    const { page } = tab(name);
    const message = page.locator(`[data-testid=message][data-id="${messageId}"]`);
    await message.hover();
    await message.locator(selector).click();
  },

  /**
   * A finger pressed on what `selector` finds and held there until `until` (a JavaScript
   * expression) holds in the page, then lifted: a long press, with no fixed length.
   */
  async longPress({ page: name, selector, until }) {
    const { page } = tab(name);
    const box = await page.locator(selector).boundingBox();
    if (!box) throw new Error(`${selector} is not on screen`);
    const point = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    const session = await page.context().newCDPSession(page);
    try {
      await session.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [point] });
      await waitInPage(page, until, until);
      await session.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    } finally {
      await session.detach();
    }
  },

  /** Clicks what `selector` finds (one element), pointing at it first. */
  async clickSelector({ page: name, selector }) {
    await tab(name).page.locator(selector).click();
  },

  async fill({ page: name, selector, text }) {
    await tab(name).page.locator(selector).fill(text);
  },

  /** Presses these keys one after another wherever focus is, as a keyboard user does. */
  async pressKeys({ page: name, keys }) {
    const { page } = tab(name);
    for (const key of keys) await page.keyboard.press(key);
  },

  /** Presses `key` in what `selector` finds (focusing it first). */
  async press({ page: name, selector, key }) {
    await tab(name).page.locator(selector).press(key);
  },

  /** Waits until a JavaScript expression holds in the page. */
  async waitFor({ page: name, what, expression }) {
    await waitInPage(tab(name).page, what, expression);
  },

  /** axe-core's serious and critical violations in the page as it is now. */
  async accessibilityViolations({ page: name }) {
    return axeViolations(tab(name).page);
  },

  /**
   * The fonts Chromium drew the text of what `selector` finds with ({familyName, glyphCount}),
   * as its DevTools protocol reports them: which font a fallback really picked.
   */
  async platformFonts({ page: name, selector }) {
    const { page } = tab(name);
    const session = await page.context().newCDPSession(page);
    try {
      await session.send('DOM.enable');
      await session.send('CSS.enable');
      const { root } = await session.send('DOM.getDocument', { depth: -1 });
      const { nodeId } = await session.send('DOM.querySelector', { nodeId: root.nodeId, selector });
      if (!nodeId) throw new Error(`nothing matches ${selector}`);
      const { fonts } = await session.send('CSS.getPlatformFontsForNode', { nodeId });
      return fonts.map(({ familyName, glyphCount }) => ({ familyName, glyphCount }));
    } finally {
      await session.detach();
    }
  },

  async composerState({ page: name, text }) {
    const { page } = tab(name);
    await page.getByTestId('composer-input').fill(text);
    return {
      sendDisabled: await page.getByTestId('send-button').evaluate((button) => button.getAttribute('aria-disabled') === 'true'),
      hint: await page.getByTestId('composer-hint').textContent(),
    };
  },

  /** Types `text` key by key into the composer, as a person does; when it started. */
  async typeText({ page: name, text, delayMs }) {
    const startedAt = Date.now();
    await tab(name).page.getByTestId('composer-input').pressSequentially(text, { delay: delayMs });
    return startedAt;
  },

  /** Exactly these users known as present, the user too (in any order); when the page showed them. */
  async waitForPresence({ page: name, userIds }) {
    await waitInPage(
      tab(name).page,
      `presence of ${JSON.stringify(userIds)}`,
      (wanted) => {
        const ids = document.querySelector('[data-testid=presence]').dataset.userIds ?? '';
        const shown = ids.split(' ').filter(Boolean);
        return JSON.stringify(shown.sort()) === JSON.stringify([...wanted].sort());
      },
      userIds,
    );
    return Date.now();
  },

  /** The typing line reads exactly `text` ('' for none); when the page showed it. */
  async waitForTyping({ page: name, text }) {
    await waitInPage(
      tab(name).page,
      `typing line ${JSON.stringify(text)}`,
      (wanted) => document.querySelector('[data-testid=typing-indicator]').textContent === wanted,
      text,
    );
    return Date.now();
  },

  /** Waits until the page has `way` ('sent' or 'received') `count` invocations of `target`. */
  async waitForEvents({ page: name, way, target, count }) {
    const entry = tab(name);
    await untilFrames(entry, `${count} ${target} ${way}`, () => eventsFor(entry[way], target).length >= count);
  },

  /** Waits until the page has made an API call `method path` with this JSON body, answered 2xx. */
  async waitForApiCall({ page: name, method, path, body }) {
    const entry = tab(name);
    const made = (call) =>
      call.method === method &&
      call.path === path &&
      JSON.stringify(JSON.parse(call.body ?? 'null')) === JSON.stringify(body) &&
      call.status >= 200 &&
      call.status < 300;
    await untilFrames(entry, `${method} ${path} ${JSON.stringify(body)}`, () => entry.apiCalls.some(made));
  },

  presence: ({ page: name }) => readPresence(tab(name).page),
  typingLine: ({ page: name }) =>
    tab(name).page.$eval('[data-testid=typing-indicator]', (line) => ({
      text: line.textContent,
      live: line.getAttribute('aria-live'),
    })),
  messages: ({ page: name }) => readMessages(tab(name).page),
  // A JavaScript expression, run in the page (tests of the page's own modules); its value.
  evaluate: ({ page: name, expression }) => tab(name).page.evaluate(expression),
  snapshot: ({ page: name }) => snapshot(tab(name).page),
  liveMessages: ({ page: name }) => eventsFor(tab(name).received, 'newMessage').map((event) => event.arguments[0]),
  // Every invocation of `target` received ({at, arguments}), or sent by the page.
  liveEvents: ({ page: name, target }) => eventsFor(tab(name).received, target),
  sentEvents: ({ page: name, target }) => eventsFor(tab(name).sent, target),
  pageErrors: ({ page: name }) => tab(name).pageErrors,

  /** Waits for `selector` in the page, or in the frame of its iframe `frame` (no evaluation:
   * works under the page's Content-Security-Policy). */
  async waitForSelector({ page: name, selector, frame = null }) {
    const scope = frame ? await frameOf(name, frame) : tab(name).page;
    await scope.waitForSelector(selector, { timeout: WAIT_MS });
  },

  /** What the browser's console said the page's Content-Security-Policy refused. */
  cspViolations: ({ page: name }) => tab(name).cspViolations,

  /** From now on every request of the page to the path `path` fails (no answer). */
  async blockPath({ page: name, path }) {
    await tab(name).page.route((url) => url.pathname === path, (route) => route.abort());
  },

  /** Loads an absolute URL (a page of another origin, such as one embedding the panel). */
  async gotoUrl({ page: name, url }) {
    await tab(name).page.goto(url);
  },

  /** The value of `expression` in the frame of the page's iframe `frame` (a selector). */
  async frameEvaluate({ page: name, frame, expression }) {
    return (await frameOf(name, frame)).evaluate(expression);
  },

  async frameWaitFor({ page: name, frame, what, expression }) {
    await waitInPage(await frameOf(name, frame), what, expression);
  },

  /** Sends `text` from the framed page's composer (Enter) and waits for its confirmation. */
  async frameSend({ page: name, frame, text }) {
    await sendConfirmed(await frameOf(name, frame), text);
  },

  async frameAccessibilityViolations({ page: name, frame }) {
    return axeViolations(await frameOf(name, frame));
  },

  async screenshot({ page: name, path }) {
    await tab(name).page.screenshot({ path });
  },

  /**
   * Closes the tab, as a person closing it does; when the closing began. Closing it again
   * does nothing, and what it recorded (errors, frames) stays readable.
   */
  async closePage({ page: name }) {
    const entry = tab(name);
    if (entry.closed) return null;
    entry.closed = true;
    const closedAt = Date.now();
    await entry.context.close();
    return closedAt;
  },
};

function reply(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

const commands = createInterface({ input: process.stdin });
for await (const line of commands) {
  if (!line.trim()) continue;
  const { id, op, args = {} } = JSON.parse(line);
  try {
    if (!Object.hasOwn(operations, op)) throw new Error(`unknown operation ${op}`);
    reply({ id, ok: true, result: (await operations[op](args)) ?? null });
  } catch (error) {
    reply({ id, ok: false, error: `${op}: ${error.message}` });
  }
}
await browser.close();
