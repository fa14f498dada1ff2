import { act, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tokens } from "../api/client";
import type { ChatResponse } from "../api/types.gen";
import ChatPanel from "./ChatPanel";
import { history, type Message } from "./useChat";
import type { JobsState } from "./useJobs";

/** A streamed response the test feeds line by line; aborting the request errors it, like fetch. */
function controllableStream() {
  let ctrl!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      ctrl = c;
    },
  });
  const encoder = new TextEncoder();
  let closed = false;
  return {
    body,
    send(msg: Partial<ChatResponse>) {
      ctrl.enqueue(encoder.encode(JSON.stringify(msg) + "\n"));
    },
    end() {
      closed = true;
      ctrl.close();
    },
    abort() {
      if (!closed) ctrl.error(new DOMException("The operation was aborted.", "AbortError"));
      closed = true;
    },
  };
}

const NO_JOBS: JobsState = { jobs: [], loading: false, error: null, reload: () => {} };
const LOCAL = { name: "local", model: "careervault-local/1", fellBack: false, reason: "" };

const fetchMock = vi.fn<typeof fetch>();
let stream: ReturnType<typeof controllableStream>;
let lastInit: RequestInit | undefined;

beforeEach(() => {
  tokens.reset();
  tokens.set({ accessToken: "token", refreshToken: "refresh", expiresAt: Date.now() + 600_000 });
  stream = controllableStream();
  fetchMock.mockReset();
  fetchMock.mockImplementation(async (_url, init) => {
    lastInit = init;
    init?.signal?.addEventListener("abort", () => stream.abort());
    return new Response(stream.body, { status: 200, headers: { "Content-Type": "application/json" } });
  });
  vi.stubGlobal("fetch", fetchMock);
});

afterEach(() => {
  vi.unstubAllGlobals();
  tokens.clear();
});

function renderChat() {
  return render(
    <MemoryRouter>
      <ChatPanel jobs={NO_JOBS} />
    </MemoryRouter>,
  );
}

const answer = () => screen.getAllByTestId("chat-answer").at(-1)!;

describe("ChatPanel", () => {
  it("appends each delta to the answer as it arrives", async () => {
    const user = userEvent.setup();
    renderChat();
    await user.type(screen.getByTestId("chat-input"), "How is my search going?{Enter}");

    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(String(fetchMock.mock.calls[0][0])).toBe("/v1/assistant:chat");
    expect(JSON.parse(String(lastInit?.body))).toEqual({
      messages: [{ role: "user", content: "How is my search going?" }],
    });
    expect((lastInit?.headers as Record<string, string>).Authorization).toBe("Bearer token");
    expect(screen.getByTestId("chat-stop")).toBeInTheDocument();

    await act(async () => stream.send({ delta: "You are ", done: false, provider: LOCAL }));
    await waitFor(() => expect(answer()).toHaveTextContent(/^You are$/));
    expect(screen.getByTestId("provider-badge")).toHaveTextContent("Local assistant");

    await act(async () => stream.send({ delta: "tracking 3 ", done: false }));
    await waitFor(() => expect(answer()).toHaveTextContent(/^You are tracking 3$/));

    await act(async () => stream.send({ delta: "applications.", done: false }));
    await waitFor(() => expect(answer()).toHaveTextContent(/^You are tracking 3 applications\.$/));
    expect(screen.getByRole("log")).toHaveAttribute("aria-busy", "true");

    await act(async () => {
      stream.send({ delta: "", done: true });
      stream.end();
    });
    await waitFor(() => expect(screen.getByTestId("chat-send")).toBeInTheDocument());
    expect(screen.queryByTestId("chat-stop")).toBeNull();
    expect(answer()).toHaveTextContent("You are tracking 3 applications.");
    expect(screen.getByRole("log")).toHaveAttribute("aria-busy", "false");
    expect(screen.queryByTestId("chat-error")).toBeNull();
  });

  it("stops the stream: the request is aborted and the answer is kept as it was", async () => {
    const user = userEvent.setup();
    renderChat();
    await user.type(screen.getByTestId("chat-input"), "How do I negotiate?{Enter}");
    await act(async () => stream.send({ delta: "Salary and ", done: false, provider: LOCAL }));
    await waitFor(() => expect(answer()).toHaveTextContent(/^Salary and$/));

    await user.click(screen.getByTestId("chat-stop"));
    expect(lastInit?.signal?.aborted).toBe(true);
    await waitFor(() => expect(screen.getByTestId("chat-stopped")).toHaveTextContent("Stopped."));
    expect(answer()).toHaveTextContent(/^Salary and$/);
    expect(screen.getByTestId("chat-send")).toBeInTheDocument();
    expect(screen.queryByTestId("chat-error")).toBeNull();
  });

  it("shows an error sent inside the stream in the message", async () => {
    const user = userEvent.setup();
    renderChat();
    await user.type(screen.getByTestId("chat-input"), "Hello{Enter}");
    await act(async () => {
      stream.send({ delta: "Hello! ", done: false, provider: { ...LOCAL, fellBack: true, reason: "Gemini is unavailable" } });
      stream.send({ delta: "", done: true, error: { code: "UNAVAILABLE", message: "the model stopped answering" } });
      stream.end();
    });
    await waitFor(() => expect(screen.getByTestId("chat-error")).toHaveTextContent("The answer broke off: the model stopped answering"));
    expect(answer()).toHaveTextContent("Hello!");
    expect(screen.getByTestId("provider-reason")).toHaveTextContent("Gemini is unavailable");
  });

  it("shows an HTTP error before the stream in words", async () => {
    fetchMock.mockImplementation(async () =>
      new Response(
        JSON.stringify({
          code: 8,
          message: "The AI service is busy; try again in a few seconds.",
          details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "AI_BUSY" }],
        }),
        { status: 429, headers: { "Content-Type": "application/json" } },
      ),
    );
    const user = userEvent.setup();
    renderChat();
    await user.type(screen.getByTestId("chat-input"), "Hello{Enter}");
    await waitFor(() => expect(screen.getByTestId("chat-error")).toHaveTextContent("busy"));
  });

  it("Shift+Enter adds a line; Enter sends", async () => {
    const user = userEvent.setup();
    renderChat();
    const box = screen.getByTestId("chat-input");
    await user.type(box, "first line{Shift>}{Enter}{/Shift}second line");
    expect(box).toHaveValue("first line\nsecond line");
    expect(fetchMock).not.toHaveBeenCalled();
    await user.type(box, "{Enter}");
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(JSON.parse(String(lastInit?.body)).messages[0].content).toBe("first line\nsecond line");
    expect(box).toHaveValue("");
  });
});

describe("history", () => {
  it("sends the conversation ending with the new message, without failed answers", () => {
    const messages: Message[] = [
      { id: 1, role: "user", content: "Hi" },
      { id: 2, role: "assistant", content: "Hello!" },
      { id: 3, role: "user", content: "Stats?" },
      { id: 4, role: "assistant", content: "", error: "busy" },
    ];
    expect(history(messages, "Stats please")).toEqual([
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello!" },
      { role: "user", content: "Stats?" },
      { role: "user", content: "Stats please" },
    ]);
  });

  it("keeps the last 20 and starts with a user message", () => {
    const messages: Message[] = Array.from({ length: 30 }, (_, i) => ({
      id: i,
      role: i % 2 === 0 ? "user" : "assistant",
      content: `m${i}`,
    }));
    const sent = history(messages, "last");
    expect(sent.length).toBeLessThanOrEqual(20);
    expect(sent[0].role).toBe("user");
    expect(sent.at(-1)).toEqual({ role: "user", content: "last" });
  });
});
