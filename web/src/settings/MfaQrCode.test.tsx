import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { MfaQrCode, QR_ALT, qrSvg } from "./MfaQrCode";
import { groupSecret } from "./MfaSection";

const URI = "otpauth://totp/CareerVault:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=CareerVault";

describe("MfaQrCode", () => {
  it("draws the otpauth URI as an image with alt text", async () => {
    render(<MfaQrCode uri={URI} />);
    const img = await screen.findByRole("img", { name: QR_ALT });
    const src = img.getAttribute("src") ?? "";
    expect(src.startsWith("data:image/svg+xml")).toBe(true);
    const svg = decodeURIComponent(src.slice(src.indexOf(",") + 1));
    expect(svg).toContain("<svg");
    expect(svg).toContain("<path");
    expect(svg).toBe(await qrSvg(URI));
  });

  it("draws a different code for a different secret", async () => {
    const a = await qrSvg(URI);
    const b = await qrSvg(URI.replace("JBSW", "KRSX"));
    expect(a).not.toBe(b);
  });

  it("groups the manual-entry key in fours", () => {
    expect(groupSecret("JBSWY3DPEHPK3PXP")).toBe("JBSW Y3DP EHPK 3PXP");
    expect(groupSecret("ABCDEF")).toBe("ABCD EF");
  });
});
