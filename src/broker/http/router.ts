import type { IncomingMessage, ServerResponse } from 'node:http';
import { LIMITS } from '../../core/limits.js';
import { EvqError } from '../../errors.js';
import { CONTENT_TYPES, HEADERS } from '../../protocol/http.js';
import type { BrokerInfo } from '../../protocol/http-broker-state.js';
import type { TokenAuth } from '../auth.js';
import type { BrokerContext } from '../context.js';
import type { RequestGuard } from '../request-guard.js';
import type { ConsoleFiles } from '../ui/console.js';
import { describeBenchRun, listBenchRuns, updateBenchRun } from './bench-routes.js';
import { cancelDelayedRoute, delayedHistogramRoute, deliverDelayedRoute, listDelayedRoute } from './delayed-routes.js';
import { commitGroup, describeGroup, listGroups, readGroup, resetGroup } from './group-routes.js';
import { commitMember, deleteWholeGroup, describeWholeGroup, heartbeatMember, joinGroup, leaveGroup, readMember } from './member-routes.js';
import { replyError, replyJson, replyText, toEvqError } from './replies.js';
import { produceBatch, produceOne, readMessages } from './topic-routes.js';
import { alterTopic, createTopic, deleteTopic, describeTopic, listTopics, offsetsForTime } from './topic-admin-routes.js';

/** Splits a path into decoded segments; a malformed escape is a 400. */
export function pathSegments(pathname: string): string[] {
  const parts = pathname.split('/').filter((s) => s !== '');
  return parts.map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw new EvqError('EVQ_ERR_MALFORMED', 'the path has a malformed %-escape');
    }
  });
}

/** True for a request that changes something: any method but GET and HEAD, and a group read that commits. */
function mutates(method: string, url: URL): boolean {
  return (method !== 'GET' && method !== 'HEAD') || url.searchParams.has('autocommit');
}

/** Parses a request URL without trusting the Host header. */
export function requestUrl(req: IncomingMessage): URL {
  const raw = req.url ?? '/';
  if (raw.length > LIMITS.maxUrlLength) throw new EvqError('EVQ_ERR_MALFORMED', 'the URL is too long');
  try {
    return new URL(raw, 'http://evq.invalid');
  } catch {
    throw new EvqError('EVQ_ERR_MALFORMED', 'the URL does not parse');
  }
}

/** The HTTP side of the broker: routes every request, answers every failure with its status and code. */
export function createRequestHandler(
  ctx: BrokerContext,
  auth: TokenAuth,
  guard: RequestGuard,
  consoleFiles: ConsoleFiles | null = null,
  info: (() => BrokerInfo) | null = null,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(ctx, auth, guard, consoleFiles, info, req, res).catch((err: unknown) => {
      const evq = toEvqError(err);
      ctx.metrics.rejected.add({ reason: evq.code }, 1);
      replyError(res, evq);
    });
  };
}

async function handle(
  ctx: BrokerContext,
  auth: TokenAuth,
  guard: RequestGuard,
  consoleFiles: ConsoleFiles | null,
  info: (() => BrokerInfo) | null,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  // Host and Origin first: a page of another site gets nothing read and nothing done, token or not
  const refusal = guard.check(req);
  if (refusal !== null) {
    req.resume();
    res.shouldKeepAlive = false;
    throw refusal;
  }
  for (const [name, value] of Object.entries(guard.corsHeaders(req))) res.setHeader(name, value);
  if (guard.isPreflight(req)) {
    req.resume();
    res.writeHead(204, { 'content-length': 0 });
    res.end();
    return;
  }
  const url = requestUrl(req);
  // the console's files hold no data and need no token (it asks for one); Host and Origin were checked above
  if (consoleFiles !== null && (url.pathname === '/ui' || url.pathname.startsWith('/ui/'))) {
    await consoleFiles.serve(req, res, url.pathname);
    return;
  }
  if (!auth.check(req, url)) {
    req.resume();
    throw new EvqError('EVQ_ERR_UNAUTHORIZED', 'missing or wrong token: pass it as "Authorization: Bearer <token>"');
  }
  const method = req.method ?? 'GET';
  if (consoleFiles?.readOnly === true && req.headers[HEADERS.console] !== undefined && mutates(method, url)) {
    req.resume();
    throw new EvqError(
      'EVQ_ERR_READ_ONLY',
      `the console is read-only (evq serve --ui-read-only): ${method} ${url.pathname.slice(0, 200)} is refused from it`,
    );
  }
  const [root, topic, sub, group, action, ...rest] = pathSegments(url.pathname);

  const allow = (...methods: string[]): void => {
    if (!methods.includes(method)) {
      res.setHeader('allow', methods.join(', '));
      req.resume();
      throw new EvqError('EVQ_ERR_METHOD_NOT_ALLOWED', `${method} is not allowed here; use ${methods.join(' or ')}`);
    }
  };

  if (root === 'healthz' && topic === undefined) {
    allow('GET', 'HEAD');
    replyJson(res, 200, { status: 'ok' });
    return;
  }
  if (root === 'metrics' && topic === undefined) {
    allow('GET');
    replyText(res, 200, ctx.metrics.render(), CONTENT_TYPES.prometheus);
    return;
  }
  if (root === 'info' && topic === undefined && info !== null) {
    allow('GET', 'HEAD');
    replyJson(res, 200, info());
    return;
  }
  if (root === 'bench' && topic === 'runs' && group === undefined) {
    // /bench/runs[/{id}]: `sub` is the run id
    if (sub === undefined) {
      allow('GET');
      listBenchRuns(ctx.benchRuns, res);
    } else {
      allow('GET', 'POST');
      if (method === 'POST') await updateBenchRun(ctx.benchRuns, sub, req, res);
      else describeBenchRun(ctx.benchRuns, sub, res);
    }
    return;
  }
  if (root === 'groups' && topic === undefined) {
    allow('GET');
    listGroups(ctx, res);
    return;
  }
  if (root === 'groups' && topic !== undefined && rest.length === 0) {
    // /groups/{group}[/members[/{member}[/heartbeat|messages|commit]]]: `topic` is the group, `group` the member
    if (sub === undefined) {
      allow('GET', 'DELETE');
      if (method === 'DELETE') await deleteWholeGroup(ctx, topic, res);
      else await describeWholeGroup(ctx, topic, res);
      return;
    }
    if (sub === 'members' && group === undefined) {
      allow('POST');
      await joinGroup(ctx, topic, req, res);
      return;
    }
    if (sub === 'members' && group !== undefined) {
      if (action === undefined) {
        allow('DELETE');
        req.resume();
        leaveGroup(ctx, topic, group, res);
        return;
      }
      if (action === 'heartbeat') {
        allow('POST');
        heartbeatMember(ctx, topic, group, req, res);
        return;
      }
      if (action === 'messages') {
        allow('GET');
        await readMember(ctx, topic, group, req, res, url);
        return;
      }
      if (action === 'commit') {
        allow('POST');
        await commitMember(ctx, topic, group, req, res);
        return;
      }
    }
  }
  if (root === 'delayed' && group === undefined) {
    // /delayed, /delayed/histogram, /delayed/{id}, /delayed/{id}/deliver: `topic` is the id
    if (topic === undefined) {
      allow('GET');
      listDelayedRoute(ctx, res, url);
      return;
    }
    if (topic === 'histogram' && sub === undefined) {
      allow('GET');
      delayedHistogramRoute(ctx, res, url);
      return;
    }
    if (sub === undefined) {
      allow('DELETE');
      req.resume();
      await cancelDelayedRoute(ctx, topic, res);
      return;
    }
    if (sub === 'deliver') {
      allow('POST');
      req.resume();
      await deliverDelayedRoute(ctx, topic, res);
      return;
    }
  }
  if (root === 'produce' && topic !== undefined && sub === undefined) {
    allow('POST');
    await produceOne(ctx, topic, req, res, url, 'seedProduce');
    return;
  }
  if (root === 'consume' && topic !== undefined && sub === undefined) {
    allow('GET');
    await readMessages(ctx, topic, req, res, url, 'earliest');
    return;
  }
  if (root === 'topics') {
    if (topic === undefined) {
      allow('GET');
      listTopics(ctx, res);
      return;
    }
    if (sub === undefined) {
      allow('GET', 'PUT', 'PATCH', 'DELETE');
      if (method === 'DELETE') await deleteTopic(ctx, topic, res);
      else if (method === 'PUT') await createTopic(ctx, topic, req, res);
      else if (method === 'PATCH') await alterTopic(ctx, topic, req, res);
      else describeTopic(ctx, topic, res);
      return;
    }
    if (sub === 'offsets' && group === undefined) {
      allow('GET');
      await offsetsForTime(ctx, topic, res, url);
      return;
    }
    if (sub === 'messages' && group === undefined) {
      allow('GET', 'POST');
      if (method === 'POST') await produceOne(ctx, topic, req, res, url);
      else await readMessages(ctx, topic, req, res, url, 'earliest');
      return;
    }
    if (sub === 'batch' && group === undefined) {
      allow('POST');
      await produceBatch(ctx, topic, req, res, url);
      return;
    }
    if (sub === 'groups' && group !== undefined && rest.length === 0) {
      if (action === undefined) {
        allow('GET');
        describeGroup(ctx, topic, group, res);
        return;
      }
      if (action === 'messages') {
        allow('GET');
        await readGroup(ctx, topic, group, req, res, url);
        return;
      }
      if (action === 'commit') {
        allow('POST');
        await commitGroup(ctx, topic, group, req, res);
        return;
      }
      if (action === 'reset') {
        allow('POST');
        await resetGroup(ctx, topic, group, req, res);
        return;
      }
    }
  }
  req.resume();
  throw new EvqError('EVQ_ERR_NOT_FOUND', `no route for ${method} ${url.pathname.slice(0, 200)}: see docs/PROTOCOL.md`);
}
