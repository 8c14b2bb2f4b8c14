/** A page the navigation already names but that is not built yet: says so, and where to look meanwhile. */
export function notBuilt(title: string, meanwhile: string) {
  return function NotBuiltPage() {
    return (
      <section class="not-built" aria-labelledby="page-title">
        <h1 id="page-title">{title}</h1>
        <p data-testid="not-built">This page is not built yet.</p>
        <p>{meanwhile}</p>
      </section>
    );
  };
}
