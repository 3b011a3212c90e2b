// Credentials must never sit in a URL of an environment file: the URL lands in the pipeline definition, the
// Terraform state and the SNS subscription, all readable by anyone who can read the state. Detected: userinfo
// ("https://user:pass@host") and query parameters that by name carry a secret (token, key, sig, …).

const SECRET_PARAMETERS = new Set([
  'access_token',
  'api_key',
  'apikey',
  'auth',
  'client_secret',
  'code',
  'key',
  'password',
  'pass',
  'pwd',
  'secret',
  'sig',
  'signature',
  'token',
  'x-amz-credential',
  'x-amz-security-token',
  'x-amz-signature',
]);

export interface UrlCredentials {
  /** What was found, e.g. 'a user name and password ("user:…@")' or 'query parameter "token"'. */
  readonly what: string;
  /** The URL with the secret values replaced by "***", safe to print. */
  readonly redacted: string;
}

/** The credentials a URL carries, or undefined. A string that is not a URL carries none (other checks report it). */
export function credentialsInUrl(text: string): UrlCredentials | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const found: string[] = [];
  if (url.username || url.password) {
    found.push(url.password ? 'a user name and password in the URL ("user:…@")' : 'a user name in the URL ("user@")');
    url.username = url.username ? '***' : '';
    url.password = url.password ? '***' : '';
  }
  for (const name of [...new Set(url.searchParams.keys())]) {
    const normalized = name.toLowerCase().replace(/-/g, '_');
    if (SECRET_PARAMETERS.has(normalized) || SECRET_PARAMETERS.has(name.toLowerCase()) || /(^|_)(token|secret|signature)$/.test(normalized)) {
      found.push(`query parameter "${name}"`);
      url.searchParams.set(name, '***');
    }
  }
  if (found.length === 0) return undefined;
  return { what: found.join(' and '), redacted: url.toString().replace(/%2A%2A%2A/g, '***') };
}
