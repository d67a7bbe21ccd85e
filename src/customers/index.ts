// The customers module's public entry: other modules import from here, never from its files.
export { CustomerErrorCode } from './customer-error-code';
export { CustomersModule } from './customers.module';
export { CustomersService } from './customers.service';
