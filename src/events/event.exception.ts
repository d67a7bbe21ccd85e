import { HttpStatus } from '@nestjs/common';
import { moduleException } from '../common/errors/app.exception';

export enum EventErrorCode {
  EVENT_NOT_FOUND = 'EVENT_NOT_FOUND',
}

export const EVENT_ERROR_STATUS: Record<EventErrorCode, HttpStatus> = {
  [EventErrorCode.EVENT_NOT_FOUND]: HttpStatus.NOT_FOUND,
};

export class EventException extends moduleException(EVENT_ERROR_STATUS) {}
