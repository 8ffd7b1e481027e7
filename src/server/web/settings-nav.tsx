export type SettingsSection = "secrets" | "tokens" | "runners";

const sections: { key: SettingsSection; label: string }[] = [
  { key: "secrets", label: "Secrets" },
  { key: "tokens", label: "Tokens" },
  { key: "runners", label: "Runners" },
];

export function SettingsNav({ active }: { active: SettingsSection }) {
  return (
    <nav class="tabs" aria-label="Settings">
      {sections.map(({ key, label }) => (
        <a href={`/settings/${key}`} aria-current={key === active ? "page" : undefined}>
          {label}
        </a>
      ))}
    </nav>
  );
}
