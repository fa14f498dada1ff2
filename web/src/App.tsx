import { lazy, Suspense, useState, type ReactNode } from "react";
import { Link, Navigate, Route, Routes, useLocation } from "react-router-dom";
import type { ApiError } from "./api/client";
import { useAuth } from "./auth/AuthContext";
import ErrorMessage from "./components/ErrorMessage";
import Layout from "./components/Layout";
import { Loading } from "./components/Spinner";

// Each page is its own chunk, loaded on first visit.
const AuthPage = lazy(() => import("./pages/AuthPage"));
const Dashboard = lazy(() => import("./pages/Dashboard"));
const JobDetail = lazy(() => import("./pages/JobDetail"));
const Analytics = lazy(() => import("./pages/Analytics"));
const Analyze = lazy(() => import("./pages/Analyze"));
const Assistant = lazy(() => import("./pages/Assistant"));
const Settings = lazy(() => import("./pages/Settings"));

function FullPageLoading() {
  return <Loading className="min-h-screen" />;
}

/**
 * Signed-in pages: wait for the stored session to be checked, then show or send to /signin (or,
 * when the account could not be loaded for a reason that passes, say so with a retry).
 * A visit while signed out (a deep link, an expired session) keeps the way back in `from`; an
 * explicit sign-out does not, so signing in again starts on the dashboard. (Sign-out clears the
 * user before its navigation to /signin lands, because routing updates are transitions: this
 * guard then still renders for the old page, and must not record it.)
 */
function RequireAuth({ children }: { children: ReactNode }) {
  const { user, ready, signedOut, resumeError } = useAuth();
  const location = useLocation();
  if (!ready) return <FullPageLoading />;
  if (!user) {
    // Signed in, but the account could not be loaded just now: say so, keep the session.
    if (resumeError) return <ResumeFailed error={resumeError} />;
    if (signedOut) return <Navigate to="/signin" replace />;
    const from = location.pathname + location.search;
    return <Navigate to="/signin" replace state={{ from }} />;
  }
  return <>{children}</>;
}

function ResumeFailed({ error }: { error: ApiError }) {
  const { resume, signOut } = useAuth();
  const [busy, setBusy] = useState(false);
  const retry = () => {
    setBusy(true);
    void resume().finally(() => setBusy(false));
  };
  return (
    <main className="mx-auto max-w-md px-4 py-16" data-testid="resume-failed">
      <h1 className="text-2xl font-semibold text-slate-900">Your account could not be loaded</h1>
      <p className="mt-2 text-slate-600">You are still signed in. This usually passes within moments.</p>
      <ErrorMessage className="mt-6" error={error} />
      <div className="mt-6 flex flex-wrap gap-3">
        <button type="button" className="btn-primary" onClick={retry} disabled={busy}>
          {busy ? "Trying again…" : "Try again"}
        </button>
        <button type="button" className="btn-secondary" onClick={() => void signOut()}>
          Sign out
        </button>
      </div>
    </main>
  );
}

function Home() {
  const { user, ready, resumeError } = useAuth();
  if (!ready) return <FullPageLoading />;
  return <Navigate to={user || resumeError ? "/dashboard" : "/signin"} replace />;
}

function NotFound() {
  return (
    <div className="mx-auto max-w-md py-16 text-center">
      <h1 className="text-2xl font-semibold text-slate-900">Page not found</h1>
      <p className="mt-2 text-slate-600">There is nothing at this address.</p>
      <Link to="/dashboard" className="btn-primary mt-6">
        Go to the dashboard
      </Link>
    </div>
  );
}

export default function App() {
  return (
    <Suspense fallback={<FullPageLoading />}>
      <Routes>
        <Route path="/" element={<Home />} />
        <Route path="/signin" element={<AuthPage />} />
        <Route path="/signup" element={<AuthPage />} />
        <Route
          element={
            <RequireAuth>
              <Layout />
            </RequireAuth>
          }
        >
          <Route
            path="/dashboard"
            element={
              <Suspense fallback={<Loading />}>
                <Dashboard />
              </Suspense>
            }
          />
          <Route
            path="/jobs/:id"
            element={
              <Suspense fallback={<Loading />}>
                <JobDetail />
              </Suspense>
            }
          />
          <Route
            path="/analytics"
            element={
              <Suspense fallback={<Loading />}>
                <Analytics />
              </Suspense>
            }
          />
          <Route
            path="/analyze"
            element={
              <Suspense fallback={<Loading />}>
                <Analyze />
              </Suspense>
            }
          />
          <Route
            path="/assistant"
            element={
              <Suspense fallback={<Loading />}>
                <Assistant />
              </Suspense>
            }
          />
          <Route
            path="/settings"
            element={
              <Suspense fallback={<Loading />}>
                <Settings />
              </Suspense>
            }
          />
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </Suspense>
  );
}
