// The customers module's public entry: other modules import from here, never from its files.
export { CustomerErrorCode } from './customer.exception';
export { CustomersModule } from './customers.module';
export { CustomersService } from './customers.service';
