// The HTTP side of every MLflow REST call: base URL, authentication (one pluggable function), timeouts,
// retries with backoff, and MLflow's JSON error bodies turned into typed MlflowErrors. The scorer's registry
// client and the operator scripts (model promotion) build their calls on this one piece.
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { MlflowAuth } from '../config/schema';
import { RequestAuthenticator, authenticator, trackingBaseUrl } from './auth';
import { MlflowError, authHint } from './errors';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface MlflowTransportOptions {
  trackingUri: string;
  auth: MlflowAuth;
  timeoutMs?: number;
  /** Extra attempts for retryable failures (network, 429, 5xx), with exponential backoff. */
  retries?: number;
  fetchImpl?: typeof fetch;
  /** Signs or decorates each request; default: built from `auth` (none, bearer, basic, SigV4 or a secret's credentials). */
  authenticate?: RequestAuthenticator;
  /** Where MLFLOW_CREDENTIALS_SECRET_ARN is read from (default: a client configured from the environment). */
  secrets?: () => SecretsManagerClient;
}

export interface RequestOptions {
  query?: Record<string, string | string[]>;
  /** A JSON body (serialized here). */
  body?: unknown;
  /** A raw body (an artifact upload), sent as application/octet-stream. */
  bytes?: Uint8Array;
}

export class MlflowTransport {
  /** The server's REST root, e.g. http://127.0.0.1:5000 or the regional SageMaker MLflow endpoint. */
  readonly baseUrl: string;
  private readonly authenticate: RequestAuthenticator;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly retries: number;
  /** Named in 401/403 messages: which credentials the server refused (never their values). */
  private readonly authKind: string;

  constructor(options: MlflowTransportOptions) {
    this.baseUrl = trackingBaseUrl(options.trackingUri, options.auth);
    this.authenticate = options.authenticate ?? authenticator(options.auth, undefined, options.secrets);
    this.authKind = options.auth.kind === 'secret' ? 'secret-provided' : options.auth.kind;
    this.fetchImpl = options.fetchImpl ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 3;
  }

  /** One JSON call, retried while the failure is retryable. */
  async json<T = unknown>(method: HttpMethod, apiPath: string, options: RequestOptions = {}): Promise<T> {
    return this.withRetries(async () => {
      const response = await this.send(method, apiPath, options);
      const text = await response.text();
      try {
        return (text ? JSON.parse(text) : {}) as T;
      } catch (error) {
        throw new MlflowError(`${method} ${apiPath} answered with non-JSON: ${text.slice(0, 200)}`, { retryable: false, cause: error });
      }
    });
  }

  /** One request, not retried (callers that stream the answer retry around it); non-2xx becomes an MlflowError. */
  async send(method: HttpMethod, apiPath: string, options: RequestOptions = {}): Promise<Response> {
    const url = new URL(`${this.baseUrl}${apiPath}`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, item);
    }
    const body = options.bytes ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const baseHeaders: Record<string, string> =
      options.bytes !== undefined ? { 'content-type': 'application/octet-stream' } : body === undefined ? {} : { 'content-type': 'application/json' };
    const headers = await this.authenticate({ method, url, headers: baseHeaders, body });
    let response: Response;
    try {
      response = await this.fetchImpl(url, { method, headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new MlflowError(`MLflow at ${url.origin} is unreachable (${method} ${apiPath})`, { retryable: true, cause: error });
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => '');
    let errorCode: string | undefined;
    let detail = text.slice(0, 300);
    try {
      const parsed = JSON.parse(text) as { error_code?: string; message?: string };
      errorCode = parsed.error_code;
      detail = parsed.message ?? detail;
    } catch {
      // Not JSON (a proxy's HTML error page): the raw text is the best detail we have.
    }
    const refused = response.status === 401 || response.status === 403 ? `MLflow at ${url.origin} refused ${method} ${apiPath}: ${authHint(response.status, this.authKind)}. ` : '';
    throw new MlflowError(`${refused}${method} ${apiPath} failed with HTTP ${response.status}${errorCode ? ` ${errorCode}` : ''}: ${detail}`, {
      status: response.status,
      errorCode,
      retryable: response.status === 429 || response.status >= 500,
    });
  }

  async withRetries<T>(attempt: () => Promise<T>): Promise<T> {
    for (let tries = 0; ; tries++) {
      try {
        return await attempt();
      } catch (error) {
        const retryable = error instanceof MlflowError ? error.retryable : false;
        if (!retryable || tries >= this.retries) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(200 * 2 ** tries, 5_000)));
      }
    }
  }
}
