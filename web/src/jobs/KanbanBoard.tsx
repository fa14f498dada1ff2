// The board: one column per stage; cards move by drag and drop (mouse, touch after a short
// press, or keyboard: space to lift, arrow keys to change column, space to drop) or with the
// "Move to" select on each card.
import {
  DndContext,
  DragOverlay,
  KeyboardSensor,
  MouseSensor,
  TouchSensor,
  pointerWithin,
  rectIntersection,
  useDraggable,
  useDroppable,
  useSensor,
  useSensors,
  type Announcements,
  type CollisionDetection,
  type DragEndEvent,
  type DragStartEvent,
  type KeyboardCoordinateGetter,
  type UniqueIdentifier,
} from "@dnd-kit/core";
import { useMemo, useRef, useState, type ReactNode } from "react";
import { Link } from "react-router-dom";
import { MoveToSelect } from "./MoveToSelect";
import type { Job, Status } from "./model";
import {
  STATUSES,
  STATUS_LABELS,
  formatDate,
  groupByStatus,
  isOverdue,
  isStatus,
  jobId,
  jobTitle,
  WORK_MODE_LABELS,
} from "./model";

export interface KanbanBoardProps {
  jobs: readonly Job[];
  onMove: (job: Job, status: Status) => void;
  /** Names of applications whose move is being saved (their controls are disabled). */
  pending?: ReadonlySet<string>;
}

const label = (id: UniqueIdentifier | undefined) =>
  id !== undefined && isStatus(id) ? STATUS_LABELS[id] : "no stage";

/** Arrow keys jump a lifted card to the previous or next column (not 25 px at a time). */
export const columnKeyboardCoordinates: KeyboardCoordinateGetter = (event, { context }) => {
  const step: Record<string, number> = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
  const dir = step[event.code];
  if (!dir) return undefined;
  event.preventDefault();
  const { active, over, droppableRects, collisionRect } = context;
  if (!active || !collisionRect) return undefined;
  const from = (over?.id ?? (active.data.current as { status?: string } | undefined)?.status) as string;
  const index = STATUSES.indexOf(from as Status);
  const target = STATUSES[index + dir];
  if (index < 0 || !target) return undefined;
  const rect = droppableRects.get(target);
  if (!rect) return undefined;
  return { x: rect.left + Math.max(0, (rect.width - collisionRect.width) / 2), y: rect.top + 56 };
};

/** The pointer decides where a mouse or touch drop goes; a keyboard drag uses the card's rect. */
const collisionDetection: CollisionDetection = (args) => {
  const within = pointerWithin(args);
  return within.length > 0 ? within : rectIntersection(args);
};

export function KanbanBoard({ jobs, onMove, pending = new Set() }: KanbanBoardProps) {
  const groups = useMemo(() => groupByStatus(jobs), [jobs]);
  const [active, setActive] = useState<Job | null>(null);
  const boardRef = useRef<HTMLDivElement>(null);
  const byName = useMemo(() => new Map(jobs.map((j) => [j.name, j])), [jobs]);

  const sensors = useSensors(
    useSensor(MouseSensor, { activationConstraint: { distance: 6 } }),
    // A short press first, so swiping still scrolls the board on a phone.
    useSensor(TouchSensor, { activationConstraint: { delay: 250, tolerance: 8 } }),
    useSensor(KeyboardSensor, { coordinateGetter: columnKeyboardCoordinates }),
  );

  const title = (id: UniqueIdentifier) => {
    const job = byName.get(String(id));
    return job ? jobTitle(job) : "the application";
  };
  const announcements: Announcements = {
    onDragStart: ({ active: a }) =>
      `Picked up ${title(a.id)}, in ${label(byName.get(String(a.id))?.status)}. Use the arrow keys to choose another stage, space to drop, escape to cancel.`,
    onDragOver: ({ active: a, over }) =>
      over ? `${title(a.id)} is over ${label(over.id)}.` : `${title(a.id)} is not over a stage.`,
    onDragEnd: ({ active: a, over }) =>
      over ? `${title(a.id)} was dropped on ${label(over.id)}.` : `${title(a.id)} was dropped; it stays where it was.`,
    onDragCancel: ({ active: a }) => `Moving ${title(a.id)} was cancelled; it stays where it was.`,
  };

  const onDragStart = (e: DragStartEvent) => setActive(byName.get(String(e.active.id)) ?? null);
  const onDragEnd = (e: DragEndEvent) => {
    setActive(null);
    const job = byName.get(String(e.active.id));
    const to = e.over?.id;
    if (job && isStatus(to) && to !== job.status) onMove(job, to);
  };

  return (
    <DndContext
      sensors={sensors}
      collisionDetection={collisionDetection}
      onDragStart={onDragStart}
      onDragEnd={onDragEnd}
      onDragCancel={() => setActive(null)}
      accessibility={{
        announcements,
        screenReaderInstructions: {
          draggable:
            "To move this application to another stage, press space or enter, choose the stage with the arrow keys, then press space or enter again. Escape cancels. The Move to list on each card does the same.",
        },
      }}
    >
      <nav aria-label="Stages" className="mb-3">
        <ul className="flex flex-wrap gap-1.5">
          {STATUSES.map((status) => (
            <li key={status}>
              <button
                type="button"
                onClick={() =>
                  boardRef.current
                    ?.querySelector(`[data-status="${status}"]`)
                    ?.scrollIntoView({ behavior: "smooth", block: "nearest", inline: "start" })
                }
                className={`inline-flex items-center gap-1.5 rounded-full border px-2.5 py-1 text-xs font-medium transition-colors hover:border-brand-600 ${
                  groups[status].length > 0 ? "border-slate-300 bg-white text-slate-800" : "border-slate-200 bg-slate-50 text-slate-600"
                }`}
              >
                {STATUS_LABELS[status]}
                <span className="font-semibold text-slate-900">{groups[status].length}</span>
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <div
        ref={boardRef}
        role="region"
        aria-label="Applications by stage"
        tabIndex={0}
        data-testid="kanban-board"
        className="relative flex w-full max-w-full snap-x snap-proximity gap-3 overflow-x-auto pb-4 focus-visible:outline-2 sm:snap-none"
      >
        {STATUSES.map((status) => (
          <Column key={status} status={status} count={groups[status].length}>
            {groups[status].map((job) => (
              <DraggableCard key={job.name} job={job} onMove={onMove} busy={pending.has(job.name)} dimmed={active?.name === job.name} />
            ))}
          </Column>
        ))}
      </div>
      <DragOverlay dropAnimation={null}>
        {active ? <CardBody job={active} className="rotate-1 shadow-lg ring-2 ring-brand-600" /> : null}
      </DragOverlay>
    </DndContext>
  );
}

function Column({ status, count, children }: { status: Status; count: number; children: ReactNode }) {
  const { setNodeRef, isOver } = useDroppable({ id: status });
  const headingId = `column-${status}-heading`;
  return (
    <section
      ref={setNodeRef}
      aria-labelledby={headingId}
      data-testid={`column-${status}`}
      data-status={status}
      className={`flex w-[17rem] shrink-0 snap-start flex-col rounded-xl border p-2 transition-colors sm:w-64 ${
        isOver ? "border-brand-600 bg-brand-50" : "border-slate-200 bg-slate-100"
      }`}
    >
      <h2 id={headingId} className="flex items-center justify-between px-1 pt-1 pb-2 text-sm font-semibold text-slate-800">
        <span>{STATUS_LABELS[status]}</span>
        <span
          className="rounded-full bg-white px-2 py-0.5 text-xs font-medium text-slate-700"
          data-testid={`count-${status}`}
          aria-label={`${count} ${count === 1 ? "application" : "applications"}`}
        >
          {count}
        </span>
      </h2>
      <ul className="flex min-h-40 flex-1 flex-col gap-2" aria-labelledby={headingId}>
        {children}
      </ul>
      {count === 0 && <p className="px-1 pb-2 text-xs text-slate-600">Drop an application here</p>}
    </section>
  );
}

function DraggableCard({ job, onMove, busy, dimmed }: { job: Job; onMove: (job: Job, status: Status) => void; busy: boolean; dimmed: boolean }) {
  const { attributes, listeners, setNodeRef, setActivatorNodeRef } = useDraggable({
    id: job.name,
    data: { status: job.status },
    disabled: busy,
  });
  // Pointer and touch start anywhere on the card except its form controls; the keyboard starts
  // only from the handle (a real button), so the card holds no nested interactive roles.
  const fromControl = (target: EventTarget) =>
    target instanceof Element && target.closest("select, option, input, textarea") !== null;
  return (
    <li
      ref={setNodeRef}
      data-testid="job-card"
      data-job={job.name}
      aria-busy={busy || undefined}
      onMouseDown={(e) => {
        if (!fromControl(e.target)) listeners?.onMouseDown?.(e);
      }}
      onTouchStart={(e) => {
        if (!fromControl(e.target)) listeners?.onTouchStart?.(e);
      }}
      className={`${dimmed ? "opacity-40" : ""} ${busy ? "animate-pulse" : ""}`}
    >
      <CardBody
        job={job}
        handle={
          <button
            type="button"
            ref={setActivatorNodeRef}
            {...attributes}
            onKeyDown={(e) => listeners?.onKeyDown?.(e)}
            aria-label={`Drag ${jobTitle(job)}`}
            className="-m-1 shrink-0 cursor-grab touch-none rounded p-1 text-slate-500 hover:bg-slate-100 hover:text-slate-800 active:cursor-grabbing"
          >
            <GripIcon />
          </button>
        }
        footer={<MoveToSelect job={job} onMove={onMove} disabled={busy} className="mt-3" />}
      />
    </li>
  );
}

function CardBody({
  job,
  handle,
  footer,
  className = "",
}: {
  job: Job;
  handle?: ReactNode;
  footer?: ReactNode;
  className?: string;
}) {
  const meta = [
    job.location,
    job.workMode && job.workMode !== "WORK_MODE_UNSPECIFIED" ? WORK_MODE_LABELS[job.workMode] : "",
  ].filter(Boolean);
  const applied = formatDate(job.appliedDate);
  const due = job.nextAction?.description ? job.nextAction : undefined;
  return (
    <article className={`relative cursor-grab rounded-lg border border-slate-200 bg-white p-3 shadow-sm select-none ${className}`}>
      <div className="flex items-start gap-2">
        {handle ?? (
          <span className="-m-1 shrink-0 p-1 text-slate-500" aria-hidden="true">
            <GripIcon />
          </span>
        )}
        <div className="min-w-0 flex-1">
          <Link
            to={`/jobs/${jobId(job)}`}
            draggable={false}
            className="block truncate text-sm font-semibold text-slate-900 hover:text-brand-700 hover:underline"
          >
            {job.position}
          </Link>
          <p className="truncate text-sm text-slate-700">{job.company}</p>
          {meta.length > 0 && <p className="mt-1 truncate text-xs text-slate-600">{meta.join(" · ")}</p>}
          {applied && <p className="mt-1 text-xs text-slate-600">Applied {applied}</p>}
          {due && (
            <div className="mt-1 text-xs">
              <p className="truncate text-slate-800">Next: {due.description}</p>
              {due.dueDate && (
                <p className={isOverdue(due.dueDate) ? "font-medium text-rose-800" : "text-slate-600"}>
                  {isOverdue(due.dueDate) ? "Overdue since" : "Due"} {formatDate(due.dueDate)}
                </p>
              )}
            </div>
          )}
          {job.tags.length > 0 && (
            <ul className="mt-2 flex flex-wrap gap-1" aria-label="Tags">
              {job.tags.slice(0, 4).map((t) => (
                <li key={t} className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-700">
                  {t}
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
      {footer}
    </article>
  );
}

function GripIcon() {
  return (
    <svg width="16" height="16" viewBox="0 0 16 16" fill="currentColor" aria-hidden="true">
      <circle cx="5" cy="3" r="1.3" />
      <circle cx="11" cy="3" r="1.3" />
      <circle cx="5" cy="8" r="1.3" />
      <circle cx="11" cy="8" r="1.3" />
      <circle cx="5" cy="13" r="1.3" />
      <circle cx="11" cy="13" r="1.3" />
    </svg>
  );
}
