// The explorer's only way to the server: kg-server's JSON gateway
// (docs/http.md), POST /kg.v1.KnowledgeGraph/<Method>, with the session's
// token when there is one. Every failure becomes an ApiError carrying the
// gRPC code name and the server's message, which the page shows as is.

const TOKEN_KEY = 'kg.token';

export class ApiError extends Error {
  constructor(code, message, httpStatus) {
    super(message);
    this.code = code;
    this.httpStatus = httpStatus;
  }
}

// Kept for the browser session only (sessionStorage), never in the URL.
export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

// Listeners told when the server refuses for want of a (valid) token.
const authListeners = new Set();
export function onAuthNeeded(listener) {
  authListeners.add(listener);
}

async function post(method, request) {
  const headers = { 'Content-Type': 'application/json' };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  let response;
  try {
    response = await fetch(`/kg.v1.KnowledgeGraph/${method}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(request || {}),
    });
  } catch (e) {
    throw new ApiError('UNAVAILABLE', `kg-server cannot be reached (${e.message})`, 0);
  }
  if (!response.ok) {
    let code = 'UNKNOWN';
    let message = `HTTP ${response.status}`;
    try {
      const body = await response.json();
      code = body.code || code;
      message = body.message || message;
    } catch (_) {
      // Not JSON: keep the status line.
    }
    const error = new ApiError(code, message, response.status);
    if (response.status === 401 || response.status === 403) {
      for (const listener of authListeners) listener(error);
    }
    throw error;
  }
  return response;
}

// A unary rpc: one JSON object.
export async function call(method, request) {
  return (await post(method, request)).json();
}

// A server-streaming rpc: JSON Lines; an error object as the last line is
// the stream's failure.
export async function stream(method, request) {
  const text = await (await post(method, request)).text();
  const messages = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const message = JSON.parse(line);
    if (message.code && message.message && Object.keys(message).length === 2) {
      throw new ApiError(message.code, message.message, 200);
    }
    messages.push(message);
  }
  return messages;
}
