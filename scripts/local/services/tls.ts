// TLS material of the secured local services: a local certificate authority and a broker certificate it signed
// (SAN 127.0.0.1 and localhost), made with the JDK's keytool on first use and cached under <baseDir>/tls/.
// Nothing is downloaded. The CA's certificate (PEM) is what clients trust, exactly as users pass their own CA.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LocalServicesError } from './errors';
import { runLogged, withLock } from './install';

export interface TlsMaterial {
  /** The CA certificate, PEM: what clients pass as their trusted CA (KAFKA_CA_FILE). */
  caFile: string;
  /** PKCS12 keystore with the broker's key and its certificate chain (broker → CA). */
  keystore: string;
  /** PKCS12 truststore holding the CA certificate (the broker verifies itself and mTLS peers with it). */
  truststore: string;
  /** Password of both stores, kept in a 0600 file next to them. */
  storePassword: string;
  /** Distinguished name of the broker certificate; the principal of a client presenting it is `User:<dn>`. */
  brokerDn: string;
  notAfter: string;
}

/** Bumped when the layout or the certificates' contents change, so a cache of an older layout is regenerated. */
const LAYOUT_VERSION = 1;
const CA_DAYS = 3650;
const LEAF_DAYS = 825;
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;
export const BROKER_DN = 'CN=kafka-broker';

interface Stamp {
  version: number;
  notAfter: string;
}

export function tlsDir(baseDir: string): string {
  return path.join(baseDir, 'tls');
}

function material(dir: string, notAfter: string): TlsMaterial {
  return {
    caFile: path.join(dir, 'ca.pem'),
    keystore: path.join(dir, 'broker.p12'),
    truststore: path.join(dir, 'truststore.p12'),
    storePassword: fs.readFileSync(path.join(dir, 'store-password'), 'utf8').trim(),
    brokerDn: BROKER_DN,
    notAfter,
  };
}

function cached(dir: string, now: Date): Stamp | undefined {
  try {
    const stamp = JSON.parse(fs.readFileSync(path.join(dir, 'stamp.json'), 'utf8')) as Stamp;
    const fresh = stamp.version === LAYOUT_VERSION && Date.parse(stamp.notAfter) - now.getTime() > RENEW_BEFORE_MS;
    return fresh ? stamp : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The local CA and broker certificate in <baseDir>/tls, generated when missing, of an older layout, or within 30 days
 * of expiry. Safe to call from parallel processes.
 */
export async function ensureLocalTls(baseDir: string, opts: { log?: (line: string) => void } = {}): Promise<TlsMaterial> {
  const dir = tlsDir(baseDir);
  const now = new Date();
  const hit = cached(dir, now);
  if (hit) return material(dir, hit.notAfter);
  return withLock(path.join(baseDir, 'locks', 'tls'), opts.log ?? (() => undefined), async () => {
    const again = cached(dir, now);
    if (again) return material(dir, again.notAfter);
    opts.log?.(`creating a local certificate authority and broker certificate in ${dir} (first use only)`);
    const started = Date.now();
    // Built in a scratch folder and renamed into place, so a reader never sees half a set of files.
    const scratch = `${dir}.tmp-${process.pid}`;
    fs.rmSync(scratch, { recursive: true, force: true });
    fs.mkdirSync(scratch, { recursive: true, mode: 0o700 });
    const passFile = path.join(scratch, 'store-password');
    fs.writeFileSync(passFile, crypto.randomBytes(18).toString('base64url'), { mode: 0o600 });
    const logFile = path.join(baseDir, 'logs', 'tls.log');
    // -storepass:file keeps the password out of process listings and the log.
    const store = (file: string) => ['-keystore', path.join(scratch, file), '-storetype', 'PKCS12', '-storepass:file', passFile];
    const keytool = (what: string, args: string[]) => runKeytool(what, args, logFile, scratch);
    const ec = ['-keyalg', 'EC', '-groupname', 'secp256r1'];

    await keytool('creating the CA key', ['-genkeypair', '-alias', 'ca', ...ec, '-dname', 'CN=ml-platform local CA', '-validity', String(CA_DAYS), '-ext', 'bc:c=ca:true', '-ext', 'ku:c=keyCertSign,cRLSign', ...store('ca.p12')]);
    await keytool('exporting the CA certificate', ['-exportcert', '-rfc', '-alias', 'ca', '-file', path.join(scratch, 'ca.pem'), ...store('ca.p12')]);
    await keytool('creating the broker key', ['-genkeypair', '-alias', 'broker', ...ec, '-dname', BROKER_DN, '-validity', String(LEAF_DAYS), ...store('broker.p12')]);
    await keytool('writing the broker certificate request', ['-certreq', '-alias', 'broker', '-file', path.join(scratch, 'broker.csr'), ...store('broker.p12')]);
    await keytool('signing the broker certificate', [
      '-gencert', '-alias', 'ca', '-rfc', '-validity', String(LEAF_DAYS),
      '-infile', path.join(scratch, 'broker.csr'), '-outfile', path.join(scratch, 'broker.pem'),
      // Clients connect to 127.0.0.1 (or localhost) and check the name; the broker is also a TLS client of itself.
      '-ext', 'san=ip:127.0.0.1,dns:localhost', '-ext', 'ku:c=digitalSignature', '-ext', 'eku=serverAuth,clientAuth',
      ...store('ca.p12'),
    ]);
    await keytool('adding the CA to the broker keystore', ['-importcert', '-noprompt', '-alias', 'ca', '-file', path.join(scratch, 'ca.pem'), ...store('broker.p12')]);
    await keytool('adding the signed broker certificate', ['-importcert', '-alias', 'broker', '-file', path.join(scratch, 'broker.pem'), ...store('broker.p12')]);
    await keytool('creating the truststore', ['-importcert', '-noprompt', '-alias', 'ca', '-file', path.join(scratch, 'ca.pem'), ...store('truststore.p12')]);

    const notAfter = new crypto.X509Certificate(fs.readFileSync(path.join(scratch, 'broker.pem'))).validTo;
    const stamp: Stamp = { version: LAYOUT_VERSION, notAfter: new Date(notAfter).toISOString() };
    fs.writeFileSync(path.join(scratch, 'stamp.json'), JSON.stringify(stamp));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(scratch, dir);
    opts.log?.(`local CA ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${path.join(dir, 'ca.pem')})`);
    return material(dir, stamp.notAfter);
  });
}

async function runKeytool(what: string, args: string[], logFile: string, cwd: string): Promise<void> {
  try {
    await runLogged(what, 'keytool', args, logFile, cwd);
  } catch (error) {
    // runLogged wraps the spawn error: ENOENT is keytool missing from PATH.
    const missing = (error as { cause?: NodeJS.ErrnoException }).cause?.code === 'ENOENT';
    throw new LocalServicesError(
      missing ? 'MISSING_TOOL' : 'START_FAILED',
      missing
        ? "'keytool' was not found on PATH; the secured local services need it for their certificates. Install a Java runtime (17 or newer), which ships keytool."
        : `making the local TLS certificates failed while ${what}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
