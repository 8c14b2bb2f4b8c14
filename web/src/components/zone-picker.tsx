import { useMemo, useState } from 'preact/hooks';
import type { CloudRegion } from '../../../src/client/index.ts';

/**
 * A searchable zone picker (the ARIA combobox pattern): type part of a zone's code, name, alias or country,
 * or a cloud region; arrow keys move through the matches, Enter picks, Escape closes.
 */

interface ZoneChoice {
  code: string;
  name: string;
  country: string;
  aliases: string[];
}

interface Option {
  id: string;
  zone: string;
  label: string;
  haystack: string;
}

const MAX_SHOWN = 40;

function optionsOf(zones: ZoneChoice[], regions: CloudRegion[]): Option[] {
  return [
    ...zones.map((z) => ({
      id: `zone-${z.code}`,
      zone: z.code,
      label: `${z.code} · ${z.name}`,
      haystack: [z.code, z.name, z.country, ...z.aliases].join(' ').toLowerCase(),
    })),
    ...regions.map((r) => ({
      id: `region-${r.provider}-${r.region}`,
      zone: r.zone,
      label: `${r.provider} ${r.region} · ${r.location} (${r.zone})`,
      haystack: [r.provider, r.region, `${r.provider}:${r.region}`, r.location, r.zone]
        .join(' ')
        .toLowerCase(),
    })),
  ];
}

export function ZonePicker(props: {
  zones: ZoneChoice[];
  regions: CloudRegion[];
  current: string;
  onPick: (zone: string) => void;
}) {
  const all = useMemo(() => optionsOf(props.zones, props.regions), [props.zones, props.regions]);
  const [text, setText] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const needle = text.trim().toLowerCase();
  const matches = (needle ? all.filter((o) => o.haystack.includes(needle)) : all).slice(0, MAX_SHOWN);
  const pick = (option: Option | undefined) => {
    if (!option) return;
    setText('');
    setOpen(false);
    props.onPick(option.zone);
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      setOpen(true);
      const step = event.key === 'ArrowDown' ? 1 : -1;
      setActive((i) => (matches.length ? (i + step + matches.length) % matches.length : 0));
    } else if (event.key === 'Enter' && open) {
      event.preventDefault();
      pick(matches[active]);
    } else if (event.key === 'Escape') {
      setOpen(false);
    }
  };
  const activeId = open && matches[active] ? matches[active].id : undefined;
  return (
    <div class="zone-picker">
      <label for="zone-search">Zone or cloud region</label>
      <input
        id="zone-search"
        type="text"
        role="combobox"
        autocomplete="off"
        aria-autocomplete="list"
        aria-expanded={open}
        aria-controls="zone-options"
        aria-activedescendant={activeId}
        placeholder={`${props.current}: type to search`}
        value={text}
        onInput={(event) => {
          setText((event.target as HTMLInputElement).value);
          setActive(0);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={onKeyDown}
      />
      <div id="zone-options" role="listbox" aria-label="Zones and cloud regions" hidden={!open}>
        {matches.map((o, i) => (
          <div
            key={o.id}
            id={o.id}
            role="option"
            tabIndex={-1}
            aria-selected={i === active}
            class={o.zone === props.current ? 'current' : undefined}
            onMouseDown={(event) => {
              event.preventDefault();
              pick(o);
            }}
          >
            {o.label}
          </div>
        ))}
      </div>
      {open && matches.length === 0 && <p class="hint">No zone matches “{text}”</p>}
    </div>
  );
}
