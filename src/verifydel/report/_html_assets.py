"""The HTML report's style sheet, its two small scripts and the Content-Security-Policy for them.

The policy names the style sheet and the scripts by their SHA-256 (CSP level 2 hashes), not
``'unsafe-inline'``: the browser then runs exactly these bytes and nothing else, so a
``<script>`` or ``<style>`` that hostile text smuggled past the escaping would still not
run. ``default-src 'none'`` forbids every fetch (no image, font, frame or connection), so
the page cannot call home even if it were altered; ``base-uri`` and ``form-action`` are
not covered by ``default-src`` and are closed too.

The scripts only add what needs them (a filter by source and strength, pages of records) and
the page degrades: without them, every record is listed. Printing (``@media print``) gives the summary,
the tables and the records as one compact table in two columns, not one card per record;
with the script, printing follows the filter but ignores the pages.
"""

from __future__ import annotations

import base64
import hashlib

STYLE = """
body{font-family:"Hiragino Sans","Noto Sans JP","Yu Gothic",Meiryo,"IPAPGothic","IPAGothic",
sans-serif;margin:0 auto;max-width:1200px;padding:1.5rem;color:#1b1b1b;line-height:1.5}
h1{margin:.2rem 0;font-size:1.6rem}h2{border-bottom:2px solid #ccc;margin-top:2rem}
.verdict{padding:1rem 1.5rem;border-radius:6px;border:3px solid}
.verdict .label{font-weight:700;letter-spacing:.1em;margin:0}
.found{background:#fdecea;border-color:#b3261e}.incomplete{background:#fff4e0;border-color:#b26a00}
.clean{background:#e8f5e9;border-color:#1e7d32}
.headline{display:flex;flex-wrap:wrap;gap:1rem;margin:.8rem 0 0}
.headline div{background:#fff;border:2px solid;border-radius:6px;padding:.3rem 1rem;flex:1 1 16rem}
.headline .n{font-size:1.8rem;font-weight:700;margin-right:.3rem}
.headline .strong-count{border-color:#b3261e}.headline .weak-count{border-color:#b26a00}
.warning{background:#b3261e;color:#fff;padding:.5rem 1rem;font-weight:700}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
thead th{background:#f2f2f2}#sources thead th{white-space:nowrap}#sources td.path{min-width:14em}td.num{text-align:right;font-variant-numeric:tabular-nums}
.path,code{font-family:ui-monospace,Menlo,Consolas,monospace;overflow-wrap:anywhere;
unicode-bidi:isolate}.path{word-break:break-all}
pre{background:#f6f6f6;padding:.5rem;white-space:pre-wrap;word-break:break-all}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:700}dd{margin:0}
.status-scanned{color:#1e7d32}.status-partial,.status-interrupted{color:#b26a00;font-weight:700}
.status-failed{color:#b3261e;font-weight:700}
.error{color:#b3261e}.note{color:#555;font-size:.9em}
span.strong,td.strong{color:#b3261e;font-weight:700}span.weak,td.weak{color:#b26a00;font-weight:700}
.options code{display:inline-block;margin:0 .6rem .1rem 0}
#records{font-size:.9rem}#records tbody{border-top:2px solid #777}
#records th.rid{background:#fafafa}#records th.k{white-space:nowrap}
#records th.rid code{word-break:normal;overflow-wrap:break-word}#records tbody.strong th.rid{border-left:4px solid #b3261e}
#records tbody.weak th.rid{border-left:4px solid #b26a00}
#records td.m{text-align:center}.ag{font-weight:700}.dis{color:#b3261e;font-weight:700}
.mis{color:#777}.sref{white-space:nowrap}.more{font-weight:700}
.controls,.pager{display:none;flex-wrap:wrap;gap:.5rem 1.2rem;align-items:center;margin:.5rem 0}
.js .controls,.js .pager{display:flex}.controls label{font-weight:700}
.controls select,.pager button{font:inherit;margin-left:.3rem}
.js-wait #records tbody,.js #records tbody{display:none}.js #records tbody.on{display:table-row-group}
.print-only{display:none}
footer{margin-top:2rem;color:#666;font-size:.85rem}
@page{size:A4;margin:12mm 10mm}
@media print{
body{max-width:none;padding:0;font-size:8.5pt;line-height:1.35;-webkit-print-color-adjust:exact;
print-color-adjust:exact}
h1{font-size:13pt}h2{font-size:11pt;margin:1em 0 .4em;break-after:avoid}
.verdict{padding:.4rem .8rem}.headline .n{font-size:14pt}
.controls,.pager,.screen-only{display:none!important}.print-only{display:block}
table{font-size:7.5pt;margin:.3rem 0}th,td{padding:1px 3px;line-height:1.25}
thead{display:table-header-group}tr{break-inside:avoid}
.records-wrap.columns{columns:2;column-gap:5mm}
#records{font-size:7pt}#records th,#records td{padding:0 2pt}#records tbody,.js #records tbody{display:table-row-group;break-inside:avoid}
.js #records tbody.out{display:none}
pre{font-size:7.5pt;padding:.2rem}
}
"""

#: In ``<head>``: the records stay hidden while a long page is parsed (laying out 200,000
#: rows as they arrive took 200 s in Chromium; hidden, 4 s), until ``SCRIPT`` pages them.
#: Should ``SCRIPT`` not run, they are all shown once the page is parsed.
EARLY_SCRIPT = (
    "(function (root) { root.classList.add('js-wait'); document.addEventListener("
    "'DOMContentLoaded', function () { root.classList.remove('js-wait'); }); }"
    "(document.documentElement));"
)

SCRIPT = r"""
(function () {
  'use strict';
  var root = document.documentElement;
  var table = document.getElementById('records');
  if (!table) { root.classList.add('js'); return; }
  var records = Array.prototype.slice.call(table.tBodies);
  var controls = document.getElementById('record-controls');
  var pagers = Array.prototype.slice.call(document.querySelectorAll('.pager'));
  var printNote = document.getElementById('print-scope');
  var names = {};
  Array.prototype.forEach.call(document.querySelectorAll('#sources tbody tr[data-src]'), function (row) {
    var path = row.querySelector('.path');
    names[row.getAttribute('data-src')] = path ? path.textContent : '';
  });
  var state = {source: '', strength: '', size: 100, page: 0};
  var shown = records, current = [];

  function make(tag, text, cls) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }
  function choice(label, options, key, numeric) {
    var wrap = make('label', label);
    var select = make('select');
    options.forEach(function (option) {
      var item = make('option', option[1]);
      item.value = String(option[0]);
      if (String(state[key]) === item.value) { item.selected = true; }
      select.appendChild(item);
    });
    select.addEventListener('change', function () {
      state[key] = numeric ? Number(select.value) : select.value;
      state.page = 0;
      filter();
    });
    wrap.appendChild(select);
    controls.appendChild(wrap);
  }
  function sourcesOf(record) {
    return (' ' + (record.getAttribute('data-src') || '') + ' ');
  }
  function fmt(n) { return n.toLocaleString('ja-JP'); }

  var used = {};
  records.forEach(function (record) {
    sourcesOf(record).split(' ').forEach(function (s) { if (s) { used[s] = true; } });
  });
  var sourceOptions = [['', 'すべて (all)']];
  Object.keys(used).sort(function (a, b) { return a - b; }).forEach(function (s) {
    sourceOptions.push([s, 'S' + s + ' ' + (names[s] || '')]);
  });
  choice('ソース (source)', sourceOptions, 'source', false);
  choice('強度 (strength)', [['', 'すべて (all)'], ['strong', '強い一致のみ (strong)'],
    ['weak', '弱い一致のみ (weak)']], 'strength', false);
  choice('1 ページの件数', [[50, '50'], [100, '100'], [500, '500'], [0, 'すべて (all)']], 'size', true);

  var pagerParts = pagers.map(function (pager) {
    var previous = make('button', '« 前へ'), next = make('button', '次へ »'), label = make('span');
    previous.type = 'button'; next.type = 'button';
    previous.addEventListener('click', function () { state.page -= 1; show(); });
    next.addEventListener('click', function () { state.page += 1; show(); });
    pager.appendChild(previous); pager.appendChild(label); pager.appendChild(next);
    return {previous: previous, next: next, label: label};
  });

  function filter() {
    var source = state.source ? ' ' + state.source + ' ' : '';
    shown = [];
    records.forEach(function (record) {
      var ok = (!source || sourcesOf(record).indexOf(source) >= 0) &&
        (!state.strength || record.classList.contains(state.strength));
      record.classList.toggle('out', !ok);
      if (ok) { shown.push(record); }
    });
    var scope = '印刷の範囲: 全 ' + fmt(records.length) + ' 件';
    if (state.source || state.strength) {
      scope = '印刷の範囲: フィルタ（ソース ' + (state.source ? 'S' + state.source : 'すべて') +
        ' / 強度 ' + (state.strength || 'すべて') + '）に該当する ' + fmt(shown.length) +
        ' 件 / 全 ' + fmt(records.length) + ' 件';
    }
    if (printNote) { printNote.textContent = scope; }
    show();
  }
  function show() {
    var size = state.size || shown.length || 1;
    var pages = Math.max(1, Math.ceil(shown.length / size));
    state.page = Math.min(Math.max(state.page, 0), pages - 1);
    current.forEach(function (record) { record.classList.remove('on'); });
    var start = state.page * size;
    current = shown.slice(start, start + size);
    current.forEach(function (record) {
      record.classList.add('on');
      Array.prototype.forEach.call(record.querySelectorAll('.sref'), function (ref) {
        ref.title = names[ref.textContent.slice(1)] || '';
      });
    });
    var text = shown.length
      ? 'レコード ' + fmt(start + 1) + '–' + fmt(start + current.length) + ' 件目 / 該当 ' +
        fmt(shown.length) + ' 件 (全 ' + fmt(records.length) + ' 件) · ページ ' +
        fmt(state.page + 1) + ' / ' + fmt(pages)
      : '該当するレコードはありません (no record matches the filter)';
    pagerParts.forEach(function (part) {
      part.label.textContent = text;
      part.previous.disabled = state.page === 0;
      part.next.disabled = state.page >= pages - 1;
    });
  }
  filter();
  root.classList.add('js');
}());
"""


def _sha256_source(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


#: The page's Content-Security-Policy (see the module docstring).
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src {_sha256_source(STYLE)}; "
    f"script-src {_sha256_source(EARLY_SCRIPT)} {_sha256_source(SCRIPT)}; "
    "base-uri 'none'; form-action 'none'"
)
