#!/usr/bin/env node
// kqloracle: runs the official Kusto.Language parser and semantic analyzer
// (npm @kusto/language-service-next, MIT) over JSON lines read from stdin:
//   {"id": "...", "query": "...", "tables": {"T": [["col", "type"], ...]}}
// and writes one JSON line per request to stdout:
//   {"id": "...", "errors": [{"code", "message", "start", "length"}], "columns": [{"name", "type"}]}
// It is a syntax and result-schema oracle only: it never runs a query.
// Used by internal/kql/oracle_test.go; installed by `npm ci --prefix tools/kqloracle`.
'use strict';
const readline = require('readline');

global.Bridge = require('@kusto/language-service-next/bridge.js');
require('@kusto/language-service-next/Kusto.Language.Bridge.js');
const K = global.Kusto.Language;
const S = K.Symbols;

// Azure-only DCR functions unknown to Kusto.Language (reference/kql.md §3.2).
const STUBS = 'let parse_cef_dictionary=(s:string){dynamic(null)}; let geo_location=(ip:string){dynamic(null)};\n';

function analyze(req) {
  const tables = [];
  for (const [name, cols] of Object.entries(req.tables || {})) {
    const schema = '(' + cols.map(([c, t]) => "['" + c.replace(/'/g, "\\'") + "']:" + t).join(', ') + ')';
    tables.push(new S.TableSymbol.$ctor7(name, schema, ''));
  }
  const globals = K.GlobalState.Default.WithDatabase(new S.DatabaseSymbol.$ctor1('db', tables, false));
  const text = STUBS + req.query;
  const code = K.KustoCode.ParseAndAnalyze(text, globals);
  const diags = code.GetDiagnostics();
  const errors = [];
  for (let i = 0; i < diags.Count; i++) {
    const d = diags.getItem(i);
    if (String(d.Severity) !== 'Error') continue;
    errors.push({ code: d.Code, message: d.Message, start: d.Start - STUBS.length, length: d.Length });
  }
  const columns = [];
  const rt = code.ResultType;
  if (errors.length === 0 && rt && rt.Columns) {
    for (let i = 0; i < rt.Columns.Count; i++) {
      const c = rt.Columns.getItem(i);
      columns.push({ name: c.Name, type: c.Type.Name });
    }
  }
  return { id: req.id, errors, columns };
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  if (!line.trim()) return;
  let out;
  try {
    const req = JSON.parse(line);
    try {
      out = analyze(req);
    } catch (e) {
      out = { id: req.id, crash: String(e && e.message || e) };
    }
  } catch (e) {
    out = { id: null, crash: 'bad request line: ' + e.message };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
});
