import { useEffect, useState } from "react";

/** The SVG markup of a QR code for `text` (an otpauth:// URI). */
export async function qrSvg(text: string): Promise<string> {
  // Loaded on first use: only people setting up MFA need the encoder.
  const mod = await import("qrcode");
  const QRCode = (mod.default as typeof mod.default | undefined) ?? mod;
  return QRCode.toString(text, { type: "svg", errorCorrectionLevel: "M", margin: 2, color: { dark: "#0f172aff", light: "#ffffffff" } });
}

export const QR_ALT = "QR code to scan with your authenticator app. It adds CareerVault to the app.";

/**
 * The otpauth:// URI as a QR code, drawn as an SVG image (crisp at any size, works without a
 * canvas). The secret is also shown as text next to it for manual entry.
 */
export function MfaQrCode({ uri, size = 192 }: { uri: string; size?: number }) {
  const [src, setSrc] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    let cancelled = false;
    setSrc(null);
    setFailed(false);
    qrSvg(uri).then(
      (svg) => {
        if (!cancelled) setSrc(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`);
      },
      () => {
        if (!cancelled) setFailed(true);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [uri]);

  if (failed) {
    return (
      <p className="text-sm text-slate-700" role="status">
        The QR code could not be drawn. Enter the key below in your authenticator app instead.
      </p>
    );
  }
  if (!src) {
    return (
      <div
        role="status"
        aria-label="Drawing the QR code"
        className="animate-pulse rounded-lg bg-slate-100"
        style={{ width: size, height: size }}
      />
    );
  }
  return (
    <img
      src={src}
      alt={QR_ALT}
      width={size}
      height={size}
      data-testid="mfa-qr"
      className="rounded-lg border border-slate-200 bg-white"
    />
  );
}

export default MfaQrCode;
