// Page script: filled in by the console work in progress.
import { render, h } from '../app.js';
render(null, h('p', { class: 'empty' }, '此页面正在建设中。'));
