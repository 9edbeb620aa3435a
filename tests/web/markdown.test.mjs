// The page's markdown subset (web/js/markdown.js): a tree of plain values, never HTML; and
// which texts are only emoji, shown large (web/js/emoji.js).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { jumboEmojiCount, MAX_JUMBO_EMOJI, PICKER_EMOJI, QUICK_REACTIONS } from '../../web/js/emoji.js';
import { parseInline, parseMarkdown, plainText } from '../../web/js/markdown.js';

const text = (value) => ({ type: 'text', text: value });
const strong = (...children) => ({ type: 'strong', children });
const em = (...children) => ({ type: 'em', children });
const code = (value) => ({ type: 'code', text: value });
const paragraph = (...children) => ({ type: 'paragraph', children });

/** The text a tree shows, markers gone: what a reader sees. */
function shown(nodes) {
  return nodes
    .map((node) => {
      if (node.type === 'text' || node.type === 'code' || node.type === 'code-block') return node.text;
      if (node.type === 'list') return node.items.map(shown).join('\n');
      return shown(node.children);
    })
    .join('');
}

/** Every node of a tree, depth first. */
function* walk(nodes) {
  for (const node of nodes) {
    yield node;
    if (node.children) yield* walk(node.children);
    if (node.items) for (const item of node.items) yield* walk(item);
  }
}

describe('inline formatting', () => {
  test('bold, italic and code', () => {
    assert.deepEqual(parseInline('**bold**, *italic* and `code`'), [
      strong(text('bold')),
      text(', '),
      em(text('italic')),
      text(' and '),
      code('code'),
    ]);
  });

  test('nests bold and italic either way, and both at once', () => {
    assert.deepEqual(parseInline('**a *b* c**'), [strong(text('a '), em(text('b')), text(' c'))]);
    assert.deepEqual(parseInline('*a **b** c*'), [em(text('a '), strong(text('b')), text(' c'))]);
    assert.deepEqual(parseInline('***both***'), [strong(em(text('both')))]);
    assert.deepEqual(parseInline('**see `x`**'), [strong(text('see '), code('x'))]);
  });

  test('leaves unclosed markers as typed', () => {
    for (const typed of ['**bold', 'half*', '`code', 'a ** b', '2 * 3 * 4', '* not a list item*', '[label](', '**']) {
      assert.equal(shown(parseInline(typed)), typed, typed);
    }
    assert.deepEqual(parseInline('**unclosed *em*'), [text('**unclosed '), em(text('em'))]);
    assert.deepEqual(parseInline('* spaced *'), [text('* spaced *')]);
  });

  test('formats nothing inside code', () => {
    assert.deepEqual(parseInline('`**not bold** [x](https://example.org)`'), [
      code('**not bold** [x](https://example.org)'),
    ]);
    assert.deepEqual(parseInline('`` a`b ``'), [code('a`b')]);
    // A marker's closer inside a code span does not close it.
    assert.deepEqual(parseInline('*a `b*` c*'), [em(text('a '), code('b*'), text(' c'))]);
  });

  test('a backslash keeps a marker as text', () => {
    assert.deepEqual(parseInline('\\*not italic\\* and \\`not code\\`'), [text('*not italic* and `not code`')]);
    assert.deepEqual(parseInline('a \\ b \\q'), [text('a \\ b \\q')]);
  });

  test('web addresses stay as typed, for the page to link', () => {
    assert.deepEqual(parseInline('see https://example.org/a_b*c*d ok'), [text('see https://example.org/a_b*c*d ok')]);
  });
});

describe('links', () => {
  test('link to http and https addresses only', () => {
    assert.deepEqual(parseInline('[the **brief**](https://example.org/brief?x=1)'), [
      { type: 'link', href: 'https://example.org/brief?x=1', children: [text('the '), strong(text('brief'))] },
    ]);
    assert.deepEqual(parseInline('[plain](http://example.org)')[0].href, 'http://example.org/');
    for (const hostile of [
      '[x](javascript:alert(1))',
      '[x](JAVASCRIPT:alert(1))',
      '[x](data:text/html,<script>alert(1)</script>)',
      '[x](vbscript:msgbox)',
      '[x](//example.org)',
      '[x](/relative)',
      '[x](https://exa mple.org)',
      '[x](https://example.org/"onmouseover="alert(1))',
    ]) {
      const nodes = parseInline(hostile);
      assert.equal([...walk(nodes)].some((node) => node.type === 'link'), false, hostile);
      assert.equal(shown(nodes), hostile, hostile);
    }
  });

  test('no link inside a link', () => {
    const [outer] = parseInline('[a [b](https://b.example)](https://a.example)');
    assert.notEqual(outer.type, 'link');
    const [only] = parseInline('[see [x](https://x.example)](https://y.example)'.slice(5));
    assert.equal(only.type, 'link');
  });
});

describe('blocks', () => {
  test('paragraphs keep their line breaks', () => {
    assert.deepEqual(parseMarkdown('one\ntwo\n\nthree'), [paragraph(text('one\ntwo\n\nthree'))]);
    assert.deepEqual(parseMarkdown('a\r\nb'), [paragraph(text('a\nb'))]);
  });

  test('fenced code blocks, unformatted; an unclosed fence is text', () => {
    assert.deepEqual(parseMarkdown('before\n```js\nconst a = **b**;\n  <i>x</i>\n```\nafter'), [
      paragraph(text('before')),
      { type: 'code-block', text: 'const a = **b**;\n  <i>x</i>' },
      paragraph(text('after')),
    ]);
    assert.deepEqual(parseMarkdown('```\nnever closed *x*'), [paragraph(text('```\nnever closed '), em(text('x')))]);
  });

  test('bulleted and numbered lists', () => {
    assert.deepEqual(parseMarkdown('Plan:\n- **one**\n* two\n+ three\n3. first\n4) second'), [
      paragraph(text('Plan:')),
      { type: 'list', ordered: false, start: 1, items: [[strong(text('one'))], [text('two')], [text('three')]] },
      { type: 'list', ordered: true, start: 3, items: [[text('first')], [text('second')]] },
    ]);
    // A number or dash without a space after it is no list.
    assert.deepEqual(parseMarkdown('1.5 litres\n-1 degrees\n*not* a list'), [
      paragraph(text('1.5 litres\n-1 degrees\n'), em(text('not')), text(' a list')),
    ]);
  });
});

describe('previews', () => {
  test('read as the message shows, markers gone', () => {
    assert.equal(plainText('**Ship** *it* `now`, see [the brief](https://example.org)'), 'Ship it now, see the brief');
    assert.equal(plainText('Plan:\n- one\n- **two**\n```\nx *y*\n```'), 'Plan:\none\ntwo\nx *y*');
    // A server's excerpt, cut mid-marker, stays as cut.
    assert.equal(plainText('**unfinished bo'), '**unfinished bo');
    assert.equal(plainText('<b>x</b>'), '<b>x</b>');
  });
});

describe('hostile input', () => {
  test('HTML stays text', () => {
    const typed = '<img src=x onerror=alert(1)> <script>alert(1)</script> <a href="javascript:x">x</a>';
    assert.deepEqual(parseMarkdown(typed), [paragraph(text(typed))]);
  });

  test('lone surrogates and controls pass through as text', () => {
    const typed = 'a\ud800b **\udfffc** \u0000\u202e';
    const blocks = parseMarkdown(typed);
    assert.deepEqual(blocks, [paragraph(text('a\ud800b '), strong(text('\udfffc')), text(' \u0000\u202e'))]);
  });

  test('very long and pathological input is parsed whole', () => {
    for (const typed of [
      '*a '.repeat(40000),
      '**'.repeat(50000),
      '`a '.repeat(40000),
      '['.repeat(100000),
      '[a]('.repeat(30000),
      '\\'.repeat(100001),
      `${'*'.repeat(50000)}x${'*'.repeat(50000)}`,
      '- item\n'.repeat(20000),
    ]) {
      const blocks = parseMarkdown(typed);
      assert.ok(blocks.length > 0);
      assert.ok([...walk(blocks)].every((node) => node.type !== 'link'));
    }
    assert.equal(shown(parseMarkdown('*a '.repeat(40000).trim())), '*a '.repeat(40000).trim());
  });

  test('deep nesting stops formatting, not the parser', () => {
    const deep = `${'*a **b '.repeat(200)}x${' b** a*'.repeat(200)}`;
    const blocks = parseMarkdown(deep);
    const depth = (nodes) => Math.max(0, ...nodes.map((node) => (node.children ? 1 + depth(node.children) : 0)));
    assert.ok(depth(blocks[0].children) <= 5);
  });
});

describe('emoji', () => {
  test('1 to 3 emoji and whitespace alone show large', () => {
    for (const [typed, count] of [
      ['👍', 1],
      [' 🎉 ', 1],
      ['❤️', 1],
      ['👍🏽', 1],
      ['👨‍👩‍👧‍👦', 1],
      ['🇫🇷', 1],
      ['1️⃣', 1],
      ['😂 😂', 2],
      ['😂\n😮🎉', 3],
    ]) {
      assert.equal(jumboEmojiCount(typed), count, typed);
    }
  });

  test('text, digits, or more than 3 emoji do not', () => {
    for (const typed of ['', '   ', 'hi 👋', '1', '#', '123', '😂😂😂😂', '👍!', 'ok', '**👍**']) {
      assert.equal(jumboEmojiCount(typed), 0, typed);
    }
    assert.equal(MAX_JUMBO_EMOJI, 3);
  });

  test('the picker offers the quick reactions first, each emoji once', () => {
    const offered = PICKER_EMOJI.map(([emoji]) => emoji);
    assert.deepEqual(offered.slice(0, QUICK_REACTIONS.length), QUICK_REACTIONS.map(([emoji]) => emoji));
    assert.equal(new Set(offered).size, offered.length);
    assert.ok(offered.every((emoji) => jumboEmojiCount(emoji) === 1));
  });
});
