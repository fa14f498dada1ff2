import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { api, ApiError, refreshTokens, tokens } from "../api/client";
import type { SignInResponse, SignUpResponse, User } from "../api/types.gen";

/** What a sign-in step led to: tokens (signed in), an MFA code to enter, or an account to confirm. */
export type AuthResult = { status: "signedIn" } | { status: "mfa" } | { status: "confirm" };

export interface AuthContextValue {
  /** The /v1/users/me profile, or null when signed out. */
  user: User | null;
  /** False until the stored session (if any) has been checked. */
  ready: boolean;
  /**
   * True when the session ended by signOut() in this tab (until the next sign-in), false when
   * it never began or ended on its own (expired, refused refresh). The route guard uses it to
   * send a signed-out page to /signin without a "come back here afterwards": after an explicit
   * sign-out the next sign-in starts on the dashboard.
   */
  signedOut: boolean;
  /**
   * Why the session stored in this tab could not be resumed, when the reason passes (offline,
   * too many requests, a service down) rather than ends the session (a refused token): the
   * tokens are kept, the route guard shows this with a retry instead of the sign-in form, and
   * `resume()` tries again. Null otherwise.
   */
  resumeError: ApiError | null;
  resume(): Promise<void>;
  signIn(email: string, password: string): Promise<AuthResult>;
  respondMfa(code: string): Promise<AuthResult>;
  /** Creates the account and, unless a confirmation code is needed first, signs in. */
  signUp(email: string, password: string, displayName: string): Promise<AuthResult>;
  confirm(email: string, code: string): Promise<void>;
  forgotPassword(email: string): Promise<void>;
  confirmForgotPassword(email: string, code: string, newPassword: string): Promise<void>;
  /** Revokes the session server-side (best effort) and ends it here. The caller navigates. */
  signOut(): Promise<void>;
  refreshUser(): Promise<User | null>;
}

const AuthContext = createContext<AuthContextValue | null>(null);

// Refresh this long before the access token expires, so requests rarely meet a 401.
const REFRESH_MARGIN_MS = 60_000;
// Resuming a stored session on load tries again after these pauses when the failure passes
// (a burst over the rate limit refills within a second or two), before showing the error.
const RESUME_RETRY_MS = [1_000, 2_000];
const PASSING = new Set([0, 429, 502, 503, 504]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [ready, setReady] = useState(false);
  const [signedOut, setSignedOut] = useState(false);
  const [resumeError, setResumeError] = useState<ApiError | null>(null);
  const challenge = useRef<string | null>(null);

  const refreshUser = useCallback(async (): Promise<User | null> => {
    if (!tokens.get()) {
      setUser(null);
      return null;
    }
    try {
      const me = await api.get<User>("/v1/users/me");
      setUser(me);
      setResumeError(null);
      return me;
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403 || err.status === 404)) {
        tokens.clear();
        setUser(null);
        return null;
      }
      throw err;
    }
  }, []);

  // A session stored in this tab is resumed (refreshed first when the access token has
  // expired). A refused token ends it (refreshUser, the client); a failure that passes keeps
  // the tokens and is retried, then reported in resumeError.
  const resumeOnce = useCallback(async (): Promise<ApiError | null> => {
    const t = tokens.get();
    if (!t) return null;
    try {
      if (t.expiresAt <= Date.now() + 5_000) await refreshTokens();
      await refreshUser();
      return null;
    } catch (err) {
      if (!tokens.get()) return null;
      return err instanceof ApiError ? err : new ApiError({ status: 0, message: String(err) });
    }
  }, [refreshUser]);

  const resume = useCallback(async () => {
    setResumeError(await resumeOnce());
  }, [resumeOnce]);

  // On load: resume the stored session, if any; otherwise the app starts signed out.
  useEffect(() => {
    let cancelled = false;
    (async () => {
      let err = await resumeOnce();
      for (const pause of RESUME_RETRY_MS) {
        if (cancelled || !err || !PASSING.has(err.status)) break;
        await sleep(pause);
        err = await resumeOnce();
      }
      if (!cancelled) {
        setResumeError(err);
        setReady(true);
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [resumeOnce]);

  // When the client ends the session (a refresh was refused), drop the user.
  useEffect(
    () =>
      tokens.subscribe((t) => {
        if (!t) {
          setUser(null);
          setResumeError(null);
        }
      }),
    [],
  );

  // Silent refresh shortly before the access token expires.
  useEffect(() => {
    if (!user) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const schedule = () => {
      const t = tokens.get();
      if (!t) return;
      const wait = Math.max(5_000, t.expiresAt - Date.now() - REFRESH_MARGIN_MS);
      timer = setTimeout(() => {
        void refreshTokens().finally(schedule);
      }, Math.min(wait, 2 ** 31 - 1));
    };
    schedule();
    return () => clearTimeout(timer);
  }, [user]);

  const finish = useCallback(
    async (res: SignInResponse): Promise<AuthResult> => {
      if (res.challenge) {
        challenge.current = res.challenge.session;
        return { status: "mfa" };
      }
      if (!res.tokens) throw new ApiError({ status: 500, message: "The sign-in answer had no tokens." });
      challenge.current = null;
      tokens.setFromResponse(res.tokens);
      setSignedOut(false);
      await refreshUser();
      return { status: "signedIn" };
    },
    [refreshUser],
  );

  const signIn = useCallback(
    async (email: string, password: string): Promise<AuthResult> => {
      try {
        return await finish(await api.post<SignInResponse>("/v1/auth:signIn", { email, password }));
      } catch (err) {
        if (err instanceof ApiError && err.reason === "USER_NOT_CONFIRMED") return { status: "confirm" };
        throw err;
      }
    },
    [finish],
  );

  const respondMfa = useCallback(
    async (code: string): Promise<AuthResult> => {
      const session = challenge.current;
      if (!session) {
        throw new ApiError({ status: 400, reason: "CHALLENGE_EXPIRED", message: "No sign-in in progress." });
      }
      return finish(await api.post<SignInResponse>("/v1/auth:respondToChallenge", { session, code }));
    },
    [finish],
  );

  const signUp = useCallback(
    async (email: string, password: string, displayName: string): Promise<AuthResult> => {
      const res = await api.post<SignUpResponse>("/v1/auth:signUp", { email, password, displayName });
      if (res.confirmationRequired) return { status: "confirm" };
      return signIn(email, password);
    },
    [signIn],
  );

  const confirm = useCallback(async (email: string, code: string) => {
    await api.post("/v1/auth:confirmSignUp", { email, code });
  }, []);

  const forgotPassword = useCallback(async (email: string) => {
    await api.post("/v1/auth:forgotPassword", { email });
  }, []);

  const confirmForgotPassword = useCallback(async (email: string, code: string, newPassword: string) => {
    await api.post("/v1/auth:confirmForgotPassword", { email, code, newPassword });
  }, []);

  const signOut = useCallback(async () => {
    try {
      // Revokes the refresh tokens server-side; the local session ends whatever it answers.
      if (tokens.get()) await api.post("/v1/auth:signOut", {});
    } catch {
      // already expired or offline: clearing locally is what matters
    } finally {
      // One batch: the guard never sees the user gone without the mark that it was a sign-out.
      challenge.current = null;
      setSignedOut(true);
      setResumeError(null);
      tokens.clear();
      setUser(null);
    }
  }, []);

  const value = useMemo<AuthContextValue>(
    () => ({
      user,
      ready,
      signedOut,
      resumeError,
      resume,
      signIn,
      respondMfa,
      signUp,
      confirm,
      forgotPassword,
      confirmForgotPassword,
      signOut,
      refreshUser,
    }),
    [user, ready, signedOut, resumeError, resume, signIn, respondMfa, signUp, confirm, forgotPassword, confirmForgotPassword, signOut, refreshUser],
  );

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error("useAuth() outside <AuthProvider>");
  return ctx;
}
