export { CustomerErrorCode } from './customer.exception';
export { CustomersModule } from './customers.module';
export { CustomersService } from './customers.service';
