// A photo field shared by the phone pages and the unit inbox: take or choose photos, upload
// each at once (so a slow network shows its progress before the form is sent), preview them
// from the server, remove one before sending.
import { h, toast, uploadPhoto } from './app.js';

/** Photos over this size are scaled down in the browser before upload (camera photos are large). */
const SHRINK_ABOVE = 1_500_000;
const MAX_SIDE = 1600;

/** A camera photo scaled to at most MAX_SIDE pixels as JPEG; small or odd files go as they are. */
async function shrink(file) {
  if (file.size <= SHRINK_ABOVE || typeof createImageBitmap !== 'function') return file;
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.85));
    return blob && blob.size < file.size ? blob : file;
  } catch {
    return file;
  }
}

/**
 * The field: {el, ids(), busy(), clear()}. `camera` opens the rear camera on phones; `multiple`
 * lets several photos be chosen at once; `name` names the input (tests, error marking).
 */
export function photoField({ label = '拍照', camera = true, multiple = false, name = 'photos' } = {}) {
  const ids = [];
  let pending = 0;
  const status = h('span', { class: 'photo-status', 'aria-live': 'polite' });
  const previews = h('div', { class: 'photos photo-previews' });
  const input = h('input', {
    type: 'file', accept: 'image/*', name, class: 'photo-input', multiple,
    capture: camera ? 'environment' : null, onchange: () => add([...input.files]),
  });
  const button = h('label', { class: 'btn secondary photo-button' }, input, label);
  const el = h('div', { class: 'photo-field' }, button, status, previews);

  function showStatus() {
    status.textContent = pending ? `正在上传 ${pending} 张…` : ids.length ? `已上传 ${ids.length} 张` : '';
  }

  async function add(files) {
    input.value = '';
    for (const file of files) {
      pending += 1;
      showStatus();
      try {
        const meta = await uploadPhoto(await shrink(file));
        ids.push(meta.id);
        const remove = h('button', { type: 'button', class: 'secondary photo-remove', 'aria-label': '删除此照片',
          onclick: () => { ids.splice(ids.indexOf(meta.id), 1); figure.remove(); showStatus(); } }, '删除');
        const figure = h('figure', { class: 'photo' },
          h('img', { src: '/api/v1/attachments/' + encodeURIComponent(meta.id), alt: `照片 ${ids.length}` }), remove);
        previews.append(figure);
      } catch (e) {
        toast(e.message, 'error');
      } finally {
        pending -= 1;
        showStatus();
      }
    }
  }

  return {
    el,
    ids: () => [...ids],
    busy: () => pending > 0,
    clear() { ids.length = 0; previews.replaceChildren(); showStatus(); },
  };
}

/** Photos already stored (attachment ids) as thumbnails that open full size. */
export function photoList(ids, empty = '无照片') {
  if (!ids?.length) return h('p', { class: 'empty' }, empty);
  return h('div', { class: 'photos' }, ids.map((id, i) => {
    const src = '/api/v1/attachments/' + encodeURIComponent(id);
    return h('a', { href: src, target: '_blank', rel: 'noopener' }, h('img', { src, alt: `照片 ${i + 1}`, loading: 'lazy' }));
  }));
}

/**
 * The map of a place (server-drawn SVG as an image): the grid outlined, the point marked.
 * When the map cannot be drawn the image gives way to a sentence.
 */
export function placeMap(placement) {
  const grid = placement?.region?.code;
  const point = placement?.point;
  if (!grid || !point) return h('p', { class: 'empty' }, '无定位信息');
  const src = `/api/v1/map.svg?region=${encodeURIComponent(grid)}&level=grid&point=${point.lon},${point.lat}&highlight=${encodeURIComponent(grid)}`;
  const img = h('img', { class: 'place-map', src, alt: `位置示意图：${placement.region.name}` });
  img.addEventListener('error', () => img.replaceWith(h('p', { class: 'empty' }, '地图暂不可用')));
  return img;
}
