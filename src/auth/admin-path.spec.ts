import { isAdminPath } from './admin-path';

describe('isAdminPath', () => {
  it.each([
    '/admin',
    '/admin/',
    '/admin/webhooks',
    '/ADMIN/webhooks',
    '/Admin/probe',
    '//admin/probe',
    '/./admin/probe',
    '/x/../admin/probe',
    '/%61dmin/probe',
    '/%2561dmin/probe',
    '/%41DMIN/probe',
    '/admin%2fprobe',
    '\\admin\\probe',
    '/admin/probe?x=1',
  ])('treats %s as an admin path', (url) => {
    expect(isAdminPath(url)).toBe(true);
  });

  it.each([
    '/',
    '/payments',
    '/administrator',
    '/adminx/probe',
    '/probe/admin',
    '/%zzadmin',
    '/health?next=/admin',
  ])('does not treat %s as an admin path', (url) => {
    expect(isAdminPath(url)).toBe(false);
  });
});
