import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'auth:isPublic';

/** Opts a route out of bearer authentication (webhooks, health, metrics). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
