import { useLocation } from '../router.ts';
import { LoadDetailPage } from './loads-detail.tsx';
import { LoadList } from './loads-list.tsx';
import { NewLoadPage } from './loads-new.tsx';
import './loads.css';

/** The Loads page's three views: the list (`/loads`), a form (`/loads/new`) and one load (`/loads/{id}`). */
export function LoadsPage() {
  const { path } = useLocation();
  const rest = path.replace(/^\/loads\/?/, '').replace(/\/+$/, '');
  if (rest === '') return <LoadList />;
  if (rest === 'new') return <NewLoadPage />;
  return <LoadDetailPage key={rest} id={decodeURIComponent(rest)} />;
}
