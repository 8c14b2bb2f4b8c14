import { render } from 'preact';

render(<p>gridshift</p>, document.getElementById('app')!);
