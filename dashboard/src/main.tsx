import { render } from 'preact';
import { App } from './app';
import { takeTokenFromFragment } from './session';
import './styles.css';

// Before anything renders: the token leaves the address bar at once.
takeTokenFromFragment();
render(<App />, document.getElementById('root')!);
