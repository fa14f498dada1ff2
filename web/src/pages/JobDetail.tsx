// One application: every field, edited in place (only the changed fields are sent, with the
// etag they were read with), its timeline, contacts, interviews, next action, notes and the saved
// resume analysis. A 409 says someone else changed it and offers a reload.
import { useEffect, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { friendlyMessage } from "../api/client";
import { EmptyState } from "../components/EmptyState";
import { ErrorMessage } from "../components/ErrorMessage";
import { Modal } from "../components/Modal";
import { Loading } from "../components/Spinner";
import { useToast } from "../components/Toast";
import { isConflict } from "../jobs/api";
import { AnalysisPanel } from "../jobs/detail/AnalysisPanel";
import { ContactsSection } from "../jobs/detail/ContactsSection";
import { DetailsSection } from "../jobs/detail/DetailsSection";
import { InterviewsSection } from "../jobs/detail/InterviewsSection";
import { NextActionSection } from "../jobs/detail/NextActionSection";
import { StatusTimeline } from "../jobs/detail/StatusTimeline";
import { TextSection } from "../jobs/detail/TextSection";
import { STATUSES, STATUS_LABELS, formatTime, isStatus, jobId, type Job, type Status } from "../jobs/model";
import { StatusBadge } from "../jobs/StatusBadge";
import { useJob } from "../jobs/useJob";

export default function JobDetail() {
  const { id = "" } = useParams();
  const state = useJob(id);
  const { job, loading, notFound, loadError } = state;

  if (loading) return <Loading label="Loading the application…" />;
  if (notFound) {
    return (
      <EmptyState
        title="This application does not exist or was deleted"
        action={
          <Link to="/dashboard" className="btn-primary">
            Back to your applications
          </Link>
        }
      >
        It may have been deleted, or the link is not quite right.
      </EmptyState>
    );
  }
  if (loadError || !job) {
    return (
      <div className="space-y-4">
        <BackLink />
        <ErrorMessage error={loadError} title="The application could not be loaded." onRetry={() => void state.reload()} />
      </div>
    );
  }
  return <Loaded job={job} state={state} />;
}

function BackLink() {
  return (
    <Link to="/dashboard" className="link inline-flex items-center gap-1 text-sm">
      <span aria-hidden="true">←</span> All applications
    </Link>
  );
}

function Loaded({ job, state }: { job: Job; state: ReturnType<typeof useJob> }) {
  useTitle(`${job.position} at ${job.company}`);
  const navigate = useNavigate();
  const toast = useToast();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState("");
  const [statusError, setStatusError] = useState("");
  const [statusSaving, setStatusSaving] = useState(false);

  const changeStatus = async (status: Status) => {
    setStatusError("");
    setStatusSaving(true);
    try {
      await state.save({ status }, ["status"]);
      toast.show(`Moved to ${STATUS_LABELS[status]}`);
    } catch (err) {
      if (!isConflict(err)) setStatusError(friendlyMessage(err));
    } finally {
      setStatusSaving(false);
    }
  };

  const onDelete = async () => {
    setDeleting(true);
    setDeleteError("");
    try {
      await state.remove();
      toast.show("Application deleted");
      navigate("/dashboard", { replace: true });
    } catch (err) {
      if (isConflict(err)) {
        setConfirmDelete(false);
      } else {
        setDeleteError(friendlyMessage(err));
      }
    } finally {
      setDeleting(false);
    }
  };

  const id = jobId(job);
  return (
    <div className="space-y-5">
      <BackLink />

      {state.conflict && (
        <div role="alert" data-testid="conflict-banner" className="flex flex-wrap items-center gap-3 rounded-lg border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950">
          <div className="min-w-0 flex-1">
            <p className="font-semibold">Someone else changed this application</p>
            <p>It was changed elsewhere (another tab or device) since you opened it, so your change was not saved. Reload to see the latest version.</p>
          </div>
          <button type="button" className="btn-primary" onClick={() => void state.reload()} disabled={state.reloading}>
            {state.reloading ? "Reloading…" : "Reload"}
          </button>
        </div>
      )}

      <header className="flex flex-col gap-4 sm:flex-row sm:items-start sm:justify-between">
        <div className="min-w-0">
          <h1 className="text-2xl font-semibold break-words text-slate-900">{job.position}</h1>
          <p className="text-lg break-words text-slate-700">{job.company}</p>
          <p className="mt-1 flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-slate-600">
            <StatusBadge status={job.status} />
            {job.createTime && <span>Added {formatTime(job.createTime, false)}</span>}
            {job.updateTime && <span>Updated {formatTime(job.updateTime)}</span>}
          </p>
        </div>
        <div className="flex flex-wrap items-end gap-2">
          <div>
            <label htmlFor="job-stage" className="label">
              Stage
            </label>
            <select
              id="job-stage"
              className="input w-auto"
              value={isStatus(job.status) ? job.status : "APPLIED"}
              disabled={statusSaving}
              onChange={(e) => {
                const value = e.target.value;
                if (isStatus(value) && value !== job.status) void changeStatus(value);
              }}
            >
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {STATUS_LABELS[s]}
                </option>
              ))}
            </select>
          </div>
          <button type="button" className="btn-secondary text-rose-800" onClick={() => setConfirmDelete(true)}>
            Delete
          </button>
        </div>
      </header>
      {statusError && <ErrorMessage error={statusError} />}

      <div className="grid grid-cols-1 gap-5 lg:grid-cols-3">
        <div className="min-w-0 space-y-5 lg:col-span-2">
          <DetailsSection job={job} save={state.save} />
          <NextActionSection job={job} save={state.save} />
          <InterviewsSection job={job} save={state.save} />
          <ContactsSection job={job} save={state.save} />
          <TextSection job={job} save={state.save} field="notes" title="Notes" empty="No notes yet." rows={5} />
          <TextSection
            job={job}
            save={state.save}
            field="jobDescription"
            title="Job description"
            empty="No job description saved. Paste the posting to analyze your resume against it."
            rows={10}
          />
        </div>
        <div className="min-w-0 space-y-5">
          <AnalysisPanel analysis={job.analysis} jobId={id} />
          <StatusTimeline history={job.statusHistory} />
        </div>
      </div>

      <Modal open={confirmDelete} onClose={() => !deleting && setConfirmDelete(false)} title="Delete this application?" size="sm">
        <p className="text-sm text-slate-800">
          “{job.position}” at {job.company} will be deleted with its timeline, contacts, interviews and notes. This cannot be undone.
        </p>
        {deleteError && <ErrorMessage error={deleteError} className="mt-3" />}
        <div className="mt-5 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
          <button type="button" className="btn-secondary" onClick={() => setConfirmDelete(false)} disabled={deleting}>
            Cancel
          </button>
          <button type="button" className="btn-danger" onClick={onDelete} disabled={deleting}>
            {deleting ? "Deleting…" : "Delete application"}
          </button>
        </div>
      </Modal>
    </div>
  );
}

function useTitle(title: string) {
  useEffect(() => {
    const previous = document.title;
    document.title = `${title} · CareerVault`;
    return () => {
      document.title = previous;
    };
  }, [title]);
}
