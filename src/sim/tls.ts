/**
 * A throwaway self-signed certificate for the simulator's HTTPS listener, made at start with @peculiar/x509
 * on node's WebCrypto. The fingerprint is printed as Proxmox shows it (`pvenode cert info`, `/nodes`
 * `ssl_fingerprint`): SHA-256 over the DER, colon-separated upper-case hex.
 */
import { createHash, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

export interface SimCertificate {
  certPem: string;
  keyPem: string;
  fingerprint: string;
}

export function sha256Fingerprint(der: ArrayBuffer | Uint8Array): string {
  const hex = createHash("sha256").update(new Uint8Array(der)).digest("hex").toUpperCase();
  return hex.match(/../g)!.join(":");
}

function toPem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString("base64");
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;
}

export async function generateCertificate(): Promise<SimCertificate> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
  const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: webcrypto.getRandomValues(new Uint8Array(8)).reduce((s, b) => s + b.toString(16).padStart(2, "0"), "01"),
    name: "CN=127.0.0.1, O=PVE Simulator",
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * 24 * 3600_000),
    signingAlgorithm: alg,
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]["keys"],
    extensions: [
      // Self-signed and used as its own trust anchor (`ca: certPem`): mark it a CA so OpenSSL accepts it.
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: "ip", value: "127.0.0.1" },
        { type: "dns", value: "localhost" },
      ]),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  return {
    certPem: cert.toString("pem") + "\n",
    keyPem: toPem("PRIVATE KEY", pkcs8),
    fingerprint: sha256Fingerprint(cert.rawData),
  };
}
