import type { IncomingMessage } from 'node:http';
import { EvqError } from '../../errors.js';
import { MEDIA_TYPES, ROUTE_BODY_TYPES, type BodyRoute } from '../../protocol/http.js';

/**
 * The Content-Type check of the routes that take a body: each accepts only the media types it documents
 * (`ROUTE_BODY_TYPES`), so the bodies any web page can send without a preflight (`text/plain`, a form,
 * `multipart/form-data`) never change anything. A request without `Origin` (curl, scripts) may also leave
 * Content-Type out, and may post curl's default form type to the seed route `POST /produce/{topic}`.
 */
export function checkContentType(req: IncomingMessage, route: BodyRoute): void {
  const raw = req.headers['content-type'];
  const browser = req.headers.origin !== undefined;
  const type = raw === undefined ? '' : (raw.split(';')[0] ?? '').trim().toLowerCase();
  if (type === '' && !browser) return;
  const accepted: readonly string[] = ROUTE_BODY_TYPES[route];
  if (accepted.includes(type)) return;
  if (route === 'seedProduce' && type === MEDIA_TYPES.form && !browser) return;
  req.resume();
  const shown = raw === undefined ? 'no Content-Type' : `Content-Type "${raw.slice(0, 100)}"`;
  throw new EvqError(
    'EVQ_ERR_UNSUPPORTED_MEDIA_TYPE',
    `this route does not take a body with ${shown}: send Content-Type ${accepted.join(' or ')} (curl: -H 'content-type: ${accepted[0]}')`,
  );
}
