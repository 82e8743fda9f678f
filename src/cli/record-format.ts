import { InvalidArgumentError } from './commander.js';
import { recordJson } from '../protocol/wire-record.js';
import type { EvqRecord } from '../protocol/record.js';

/**
 * How `evq subscribe` and `evq consume` print a record, one per line:
 *
 * - `raw` — the value's bytes as they are (what was produced, byte for byte);
 * - `json` — the whole record as one JSON line, the shape of an NDJSON read (`value` as text, or
 *   `valueBase64` when it is not UTF-8); `evq produce --json` reads these lines back;
 * - a template such as `'{offset} {key} {value}'` with the placeholders below, and `\t`, `\n`, `\\`
 *   escapes; `{{` and `}}` are literal braces.
 */

const TEMPLATE_PLACEHOLDERS = ['topic', 'partition', 'offset', 'timestamp', 'time', 'key', 'value', 'headers'] as const;

/** One record → one line (without its newline): bytes for `raw`, text otherwise. */
export interface RecordFormat {
  readonly name: string;
  format(record: EvqRecord): Buffer | string;
}

/** A record as JSON, exactly as the broker's NDJSON reads give it. */
export const recordToJson: (record: EvqRecord) => string = recordJson;

const RAW: RecordFormat = { name: 'raw', format: (record) => record.value };
const JSON_FORMAT: RecordFormat = { name: 'json', format: recordToJson };

type Piece = string | ((record: EvqRecord) => string);

function placeholder(name: string): (record: EvqRecord) => string {
  switch (name) {
    case 'topic':
      return (r) => r.topic;
    case 'partition':
      return (r) => String(r.partition);
    case 'offset':
      return (r) => String(r.offset);
    case 'timestamp':
      return (r) => String(r.timestamp);
    case 'time':
      return (r) => new Date(r.timestamp).toISOString();
    case 'key':
      return (r) => r.key ?? '';
    case 'value':
      return (r) => r.value.toString('utf8');
    case 'headers':
      return (r) => JSON.stringify(r.headers ?? {});
    default: {
      // {headers.NAME}: one header's value, empty when absent
      if (name.startsWith('headers.') && name.length > 'headers.'.length) {
        const header = name.slice('headers.'.length);
        return (r) => (r.headers !== null && Object.hasOwn(r.headers, header) ? (r.headers[header] ?? '') : '');
      }
      throw new InvalidArgumentError(
        `unknown placeholder {${name}}: use ${TEMPLATE_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')} or {headers.NAME}`,
      );
    }
  }
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', '\\': '\\' };

/** Compiles a template once into pieces; throws InvalidArgumentError (a usage error) when it is not valid. */
export function compileTemplate(template: string): RecordFormat {
  const pieces: Piece[] = [];
  let text = '';
  let placeholders = 0;
  for (let i = 0; i < template.length; i++) {
    const c = template[i] as string;
    const next = template[i + 1];
    if (c === '\\' && next !== undefined && Object.hasOwn(ESCAPES, next)) {
      text += ESCAPES[next];
      i++;
    } else if (c === '{' && next === '{') {
      text += '{';
      i++;
    } else if (c === '}' && next === '}') {
      text += '}';
      i++;
    } else if (c === '{') {
      const end = template.indexOf('}', i + 1);
      if (end === -1) throw new InvalidArgumentError(`unclosed "{" at column ${i + 1} (write {{ for a literal brace)`);
      if (text !== '') pieces.push(text);
      text = '';
      pieces.push(placeholder(template.slice(i + 1, end).trim()));
      placeholders++;
      i = end;
    } else if (c === '}') {
      throw new InvalidArgumentError(`unmatched "}" at column ${i + 1} (write }} for a literal brace)`);
    } else {
      text += c;
    }
  }
  if (text !== '') pieces.push(text);
  if (placeholders === 0) {
    throw new InvalidArgumentError(`expected raw, json or a template with placeholders like '{offset} {key} {value}', got "${template}"`);
  }
  return {
    name: template,
    format: (record) => {
      let line = '';
      for (const piece of pieces) line += typeof piece === 'string' ? piece : piece(record);
      return line;
    },
  };
}

/** Reads `--format`: raw, json or a template. A commander option parser (bad value = usage error). */
export function parseFormat(text: string): RecordFormat {
  if (text === 'raw') return RAW;
  if (text === 'json') return JSON_FORMAT;
  return compileTemplate(text);
}

export const DEFAULT_FORMAT = RAW;
