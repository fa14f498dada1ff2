import { useState } from "react";
import { api } from "../api/client";
import type { IdentityExportUserDataResponse, User } from "../api/types.gen";
import { ErrorMessage } from "../components/ErrorMessage";
import { DeleteAccountDialog } from "./DeleteAccountDialog";
import { downloadJson, exportFilename } from "./exportData";
import { Section, SubSection } from "./Section";

/** Export everything held about the user, and delete the account. */
export function DataSection({ user, onDeleted }: { user: User; onDeleted: () => Promise<void> }) {
  const [exporting, setExporting] = useState(false);
  const [exported, setExported] = useState<string | null>(null);
  const [exportError, setExportError] = useState<unknown>(null);
  const [deleting, setDeleting] = useState(false);

  const exportData = async () => {
    setExporting(true);
    setExportError(null);
    setExported(null);
    try {
      const data = await api.get<IdentityExportUserDataResponse>("/v1/users/me:export");
      const filename = exportFilename();
      downloadJson(data, filename);
      setExported(filename);
    } catch (err) {
      setExportError(err);
    } finally {
      setExporting(false);
    }
  };

  return (
    <Section id="data" title="Your data" description="Take a copy of everything, or remove it all.">
      <div className="space-y-6">
        <div className="space-y-3">
          <p className="text-sm text-slate-600">
            One JSON file with your profile and everything CareerVault holds about you: applications with their
            history, contacts, interviews, notes and saved analyses.
          </p>
          <button type="button" className="btn-secondary" onClick={() => void exportData()} disabled={exporting} data-testid="export-btn">
            {exporting ? "Preparing…" : "Export my data"}
          </button>
          <div aria-live="polite">
            {exported && (
              <p className="text-sm text-emerald-800" data-testid="export-done">
                Downloaded <span className="break-all font-mono">{exported}</span>.
              </p>
            )}
          </div>
          <ErrorMessage error={exportError} onRetry={() => void exportData()} />
        </div>
        <SubSection title="Delete my account">
          <div className="space-y-3">
            <p className="text-sm text-slate-600">
              Permanently deletes your account and all your data from every CareerVault service.
            </p>
            <button type="button" className="btn-danger" onClick={() => setDeleting(true)} data-testid="delete-account-btn">
              Delete my account
            </button>
          </div>
        </SubSection>
      </div>
      <DeleteAccountDialog
        open={deleting}
        email={user.email}
        onClose={() => setDeleting(false)}
        onConfirm={async () => {
          await api.del("/v1/users/me");
          await onDeleted();
        }}
      />
    </Section>
  );
}

export default DataSection;
