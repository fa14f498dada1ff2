// The dashboard: applications as a kanban board by stage (drag and drop, or "Move to") or as a
// searchable, sortable, paged table; the add form opens from here.
import { useEffect, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { EmptyState } from "../components/EmptyState";
import { ErrorMessage } from "../components/ErrorMessage";
import { Loading } from "../components/Spinner";
import { Modal } from "../components/Modal";
import { useToast } from "../components/Toast";
import { AddJobForm } from "../jobs/AddJobForm";
import { JobTable } from "../jobs/JobTable";
import { KanbanBoard } from "../jobs/KanbanBoard";
import { useBoard } from "../jobs/useBoard";

type View = "board" | "table";

export default function Dashboard() {
  const [params, setParams] = useSearchParams();
  const view: View = params.get("view") === "table" ? "table" : "board";
  const [adding, setAdding] = useState(false);
  const [tableKey, setTableKey] = useState(0);
  const board = useBoard();
  const toast = useToast();

  useEffect(() => {
    document.title = "Applications · CareerVault";
  }, []);

  const setView = (v: View) =>
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        if (v === "table") next.set("view", "table");
        else next.delete("view");
        return next;
      },
      { replace: true },
    );

  const openAdd = () => setAdding(true);

  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div className="min-w-0">
          <h1 className="text-2xl font-semibold text-slate-900">Applications</h1>
          {!board.loading && !board.loadError && (
            <p className="text-sm text-slate-600" data-testid="job-total">
              {board.total === 1 ? "1 application" : `${board.total} applications`}
            </p>
          )}
        </div>
        <div className="flex flex-wrap items-center gap-2">
          <div role="group" aria-label="View" className="inline-flex rounded-lg border border-slate-300 bg-white p-0.5">
            {(["board", "table"] as const).map((v) => (
              <button
                key={v}
                type="button"
                aria-pressed={view === v}
                onClick={() => setView(v)}
                className={`rounded-md px-3 py-1.5 text-sm font-medium ${
                  view === v ? "bg-brand-700 text-white" : "text-slate-700 hover:bg-slate-100"
                }`}
              >
                {v === "board" ? "Board" : "Table"}
              </button>
            ))}
          </div>
          <button type="button" className="btn-primary" data-testid="add-job-btn" onClick={openAdd}>
            <span aria-hidden="true">+</span> Add application
          </button>
        </div>
      </div>

      {view === "board" ? (
        board.loading ? (
          <Loading label="Loading your applications…" />
        ) : board.loadError ? (
          <ErrorMessage error={board.loadError} title="Your applications could not be loaded." onRetry={board.reload} />
        ) : board.jobs.length === 0 ? (
          <EmptyState
            title="No applications yet — add your first one"
            action={
              <button type="button" className="btn-primary" onClick={openAdd}>
                Add an application
              </button>
            }
          >
            Each application gets a card on a board by stage — Applied, Phone screen, interviews, Offer — that you move as
            things progress.
          </EmptyState>
        ) : (
          <>
            {board.moveError && (
              <div role="alert" data-testid="move-error" className="flex flex-wrap items-start gap-3 rounded-lg border border-red-200 bg-red-50 p-3 text-sm text-red-900">
                <p className="min-w-0 flex-1">{board.moveError.message}</p>
                <div className="flex gap-2">
                  {board.moveError.conflict && (
                    <button type="button" className="btn-secondary py-1" onClick={board.reload}>
                      Reload
                    </button>
                  )}
                  <button type="button" className="btn-ghost py-1" onClick={board.dismissError}>
                    Dismiss
                  </button>
                </div>
              </div>
            )}
            {board.truncated && (
              <p className="text-sm text-slate-600">
                The board shows your {board.jobs.length} most recently updated applications; the table lists all {board.total}.
              </p>
            )}
            <p className="sr-only" role="status" aria-live="polite">
              {board.notice}
            </p>
            <KanbanBoard jobs={board.jobs} onMove={board.move} pending={board.pending} />
          </>
        )
      ) : (
        <JobTable refreshKey={tableKey} onAdd={openAdd} />
      )}

      <Modal open={adding} onClose={() => setAdding(false)} title="Add an application" size="lg">
        <AddJobForm
          onCancel={() => setAdding(false)}
          onCreated={(job) => {
            setAdding(false);
            board.added(job);
            setTableKey((k) => k + 1);
            toast.show("Job application added successfully");
          }}
        />
      </Modal>
    </div>
  );
}
