import { afterEach, describe, expect, it, vi } from "vitest";
import { downloadJson, exportFilename } from "./exportData";
import { feedUrl } from "./CalendarFeedSection";
import { passwordProblems } from "./ChangePasswordForm";

const { createObjectURL, revokeObjectURL } = URL;

afterEach(() => {
  vi.restoreAllMocks();
  URL.createObjectURL = createObjectURL;
  URL.revokeObjectURL = revokeObjectURL;
});

describe("exportFilename", () => {
  it("is careervault-export-YYYY-MM-DD.json by the local date", () => {
    expect(exportFilename(new Date(2026, 0, 5, 23, 59))).toBe("careervault-export-2026-01-05.json");
    expect(exportFilename(new Date(2026, 10, 26))).toBe("careervault-export-2026-11-26.json");
  });
});

describe("downloadJson", () => {
  it("clicks a download link to a JSON blob", async () => {
    const blobs: Blob[] = [];
    URL.createObjectURL = vi.fn((b: Blob) => {
      blobs.push(b);
      return "blob:x";
    }) as typeof URL.createObjectURL;
    URL.revokeObjectURL = vi.fn();
    const clicked: HTMLAnchorElement[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this);
    });
    downloadJson({ user: { email: "ada@example.com" } }, "careervault-export-2026-01-05.json");
    expect(clicked).toHaveLength(1);
    expect(clicked[0].download).toBe("careervault-export-2026-01-05.json");
    expect(clicked[0].getAttribute("href")).toBe("blob:x");
    expect(blobs[0].type).toBe("application/json");
    const text = await new Promise<string>((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.readAsText(blobs[0]);
    });
    expect(JSON.parse(text)).toEqual({ user: { email: "ada@example.com" } });
  });
});

describe("feedUrl", () => {
  it("makes the API's path a full URL on this origin", () => {
    expect(feedUrl("/v1/calendars/abc/careervault.ics", "http://localhost:8080")).toBe(
      "http://localhost:8080/v1/calendars/abc/careervault.ics",
    );
    expect(feedUrl("v1/x.ics", "https://cv.example/")).toBe("https://cv.example/v1/x.ics");
    expect(feedUrl("https://other/x.ics", "http://localhost")).toBe("https://other/x.ics");
  });
});

describe("passwordProblems", () => {
  it("follows the identity service's policy", () => {
    expect(passwordProblems("Str0ng!pass")).toEqual([]);
    expect(passwordProblems("short")).toContain("at least 8 characters");
    expect(passwordProblems("alllowercase1!")).toEqual(["an upper-case letter"]);
  });
});
