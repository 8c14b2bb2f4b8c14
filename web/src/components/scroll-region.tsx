import type { ComponentChildren } from 'preact';

/**
 * A table that may be wider than a phone, scrolled within its own box: focusable and named, so that
 * keyboard users can scroll it too (axe's scrollable-region-focusable), and the page never scrolls sideways.
 */
export function ScrollRegion(props: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolled box must be reachable by keyboard
    <section class="table-scroll scroll-region" tabIndex={0} aria-label={props.label}>
      {props.children}
    </section>
  );
}
